"""The pieces of the load benchmark, bench/wizard_load.py (its docstring tells what it measures).

targets   the four targets: their settings, the database and Redis set-up, their gunicorn servers
          (tests/support/app_server.py's AppServer, over bench/wizard_load_wsgi.py)
clients   the simulated people (tests/support/browser.py's Browser, a thread each) and the
          scheduler that gives the targets their turns
measure   CPU, Redis commandstats and memory, PostgreSQL backends: what is sampled during a run
summary   one target's figures from its samples
report    the Markdown report and the section of docs/benchmarks.md it writes
"""
