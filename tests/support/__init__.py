"""Real services for the reliability tests: a Redis server and app servers of the test's own."""
