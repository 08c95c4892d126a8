"""Real services for the reliability tests: a Redis server and app servers of the test's own.

The load benchmark (bench/load/) uses app_server and browser too: those, multipart, redis_server
and sentinel import without Django set up; wizard_http needs it (it reuses the suite's helpers).
"""
