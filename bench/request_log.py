"""Benchmark: the CPU a request pays for its request id and JSON log line, and for the metrics.

    .venv/bin/python bench/request_log.py [--requests 2000] [--rounds 5]

Serves the home page (a template, no database or Redis) through Django's test client, in three
configurations, interleaved round by round so that they share the machine's state:

- ``without``: MIDDLEWARE without RequestLogMiddleware (what main had before);
- ``json log``: with it, LOG_FORMAT=json, the line written to a stream that drops it;
- ``json log + metrics``: the same with METRICS_TOKEN set (a histogram observation per request).

Reports the median CPU time per request (process time) over the rounds, then the cost of the
request's log line alone (timeit, median of the rounds) with the JSON and the plain formatter.
No Redis is touched (a 5xx would be the only request that writes to it).
"""

import argparse
import os
import statistics
import sys
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
os.environ.setdefault("DEBUG", "1")
os.environ["LOG_FORMAT"] = "json"
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wizard_site.settings")

MIDDLEWARE = "wizard_site.request_log.RequestLogMiddleware"


class Discard:
    def write(self, text):
        return len(text)

    def flush(self):
        pass


def client_for(middleware):
    from django.test import Client, override_settings

    client = Client()
    with override_settings(MIDDLEWARE=middleware):
        assert client.get("/").status_code == 200  # loads this middleware chain, once
    return client


def cpu_per_request(client, requests, metrics):
    from django.test import override_settings

    with override_settings(METRICS_TOKEN="bench" if metrics else ""):
        started = time.process_time()
        for _ in range(requests):
            client.get("/")
        return (time.process_time() - started) / requests * 1e6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()

    import logging

    import django
    from django.conf import settings

    django.setup()
    for name in ("wizard_site", "django", "sessions_store", "projects"):
        for handler in logging.getLogger(name).handlers:
            handler.setStream(Discard())
    full = list(settings.MIDDLEWARE)
    configurations = {
        "without": (client_for([m for m in full if m != MIDDLEWARE]), False),
        "json log": (client_for(full), False),
        "json log + metrics": (client_for(full), True),
    }
    results = {name: [] for name in configurations}
    for _ in range(options.rounds):
        for name, (client, metrics) in configurations.items():
            results[name].append(cpu_per_request(client, options.requests, metrics))
    base = statistics.median(results["without"])
    print(f"{options.requests} requests x {options.rounds} rounds, median CPU per request (GET /):")
    for name, values in results.items():
        median = statistics.median(values)
        print(f"  {name:<20} {median:7.1f} µs   ({median - base:+6.1f} µs)")
    print("one request log line alone (median of the rounds):")
    for name, microseconds in log_line_costs(options.requests, options.rounds).items():
        print(f"  {name:<20} {microseconds:7.1f} µs")


def log_line_costs(number, rounds):
    import logging

    from wizard_site.request_log import JsonFormatter, RequestIdFilter

    logger = logging.getLogger("bench.request_line")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = logging.StreamHandler(Discard())
    handler.addFilter(RequestIdFilter())
    logger.addHandler(handler)
    extra = {"method": "GET", "route": "home", "step": None, "status": 200, "duration_ms": 2.31, "draft_id": None}
    formatters = {
        "json": JsonFormatter("%(levelname)s %(name)s %(message)s %(request_id)s"),
        "plain": logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"),
    }
    costs = {}
    for name, formatter in formatters.items():
        handler.setFormatter(formatter)
        runs = [timeit.timeit(lambda: logger.info("%s %s %s", "GET", "home", 200, extra=extra), number=number) for _ in range(rounds)]
        costs[name] = statistics.median(runs) / number * 1e6
    return costs


if __name__ == "__main__":
    main()
