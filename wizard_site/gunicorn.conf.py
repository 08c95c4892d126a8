"""gunicorn's configuration for production: `gunicorn -c wizard_site/gunicorn.conf.py wizard_site.wsgi`.

- Logs: every line one JSON object (python-json-logger), the access log included, with the
  request id the app echoes in ``X-Request-ID`` (its ``request_id`` field).
- Metrics: with PROMETHEUS_MULTIPROC_DIR set, the folder is emptied at start and a dead worker's
  samples are marked dead (prometheus-client's multiprocess mode, see wizard_site/metrics.py).

Bind address, workers and timeouts stay on the command line (the README's production command).
"""

import os
from pathlib import Path

accesslog = "-"
access_log_format = '%(m)s %(U)s %(s)s %(M)sms'

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "wizard_site.request_log.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
        "error_console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
    },
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False, "qualname": "gunicorn.error"},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False, "qualname": "gunicorn.access"},
    },
}


def _multiprocess_dir():
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def on_starting(server):
    folder = _multiprocess_dir()
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):  # samples of a previous run would be added up
            stale.unlink()


def child_exit(server, worker):
    if _multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
