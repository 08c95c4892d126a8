"""Real app servers for the reliability tests: gunicorn subprocesses with production settings.

They share the test's database (committed data: use ``django_db(transaction=True)``), a Redis,
and one MEDIA_ROOT, as the app servers of a deployment do (see the README's "Production").

Importable without Django set up (the load benchmark, bench/wizard_load.py, starts its targets
with it): only ``current_database_url`` needs Django, and imports it when called.
"""

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import requests

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def current_database_url():
    """DATABASE_URL of the database this test runs on (the test database, not the configured one)."""
    from django.db import connection

    config = connection.settings_dict
    if config["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{config['NAME']}"
    if "postgresql" in config["ENGINE"]:
        auth = quote(config["USER"] or "", safe="")
        if config.get("PASSWORD"):
            auth += ":" + quote(config["PASSWORD"], safe="")
        host = config.get("HOST") or "localhost"
        port = config.get("PORT") or 5432
        return f"postgres://{auth}@{host}:{port}/{config['NAME']}"
    raise RuntimeError(f"no DATABASE_URL for {config['ENGINE']}")


def collect_static(static_root, env):
    """collectstatic once: production settings use WhiteNoise's manifest storage, which needs it."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=BASE_DIR, env=env, check=True, timeout=120,
    )
    return static_root


def production_env(*, database_url, redis_url, media_root, static_root, var_dir, secret_key=None, **extra):
    """The environment of a production app server (DEBUG off), as the README's table describes."""
    env = {
        key: value
        for key, value in os.environ.items()
        # Nothing of the test run's own configuration leaks into the server.
        if key not in {"SESSION_TTL", "DEBUG"}
        and not key.startswith(("PYTEST", "UPLOAD_", "SECURE_", "DATABASE_", "REDIS_", "DJANGO_", "ALLOW_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "wizard_site.settings",
            "DEBUG": "0",
            "SECRET_KEY": secret_key or secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "MEDIA_ROOT": str(media_root),
            "STATIC_ROOT": str(static_root),
            "VAR_DIR": str(var_dir),
            # Warnings and errors only: one INFO line per draft action would fill the log.
            "DJANGO_LOG_LEVEL": "WARNING",
            "DRAFT_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


def _no_control_socket():
    """gunicorn >= 25.1 opens a control socket at one per-user path: two servers would share it."""
    from gunicorn.config import KNOWN_SETTINGS

    return ["--no-control-socket"] if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS) else []


class AppServer:
    """``gunicorn wizard_site.wsgi`` on 127.0.0.1, as the README runs it in production.

    ``app``: another WSGI application (the load benchmark's counting wrapper); ``gunicorn_args``
    come last, so they override the defaults below; ``ready_path`` must answer 200 once booted;
    ``cwd``: the checkout to run (this one by default).
    """

    def __init__(self, env, log_path, workers=2, port=None, *, app="wizard_site.wsgi", gunicorn_args=(), ready_path="/", cwd=BASE_DIR):
        self.cwd = cwd  # the checkout it runs (bench/stock_compare.py --before runs another one)
        self.env = env
        self.log_path = Path(log_path)
        self.workers = workers
        self.port = port or free_port()
        self.app = app
        self.gunicorn_args = [str(arg) for arg in gunicorn_args]
        self.ready_path = ready_path
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=30):
        return self.launch().wait_ready(timeout)

    def launch(self):
        """Start gunicorn without waiting for it (``wait_ready`` waits): servers boot side by side."""
        assert self.process is None or self.process.poll() is not None, "already running"
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "gunicorn", self.app,
                    "--workers", str(self.workers),
                    "--bind", f"127.0.0.1:{self.port}",
                    "--graceful-timeout", "10",
                    "--timeout", "60",
                    "--backlog", "256",
                    *_no_control_socket(),
                    *self.gunicorn_args,
                ],
                cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                # Its own process group: a crash test kills the master and its workers at once.
                start_new_session=True,
            )
        return self

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                response = requests.get(self.url + self.ready_path, headers={"X-Forwarded-Proto": "https"}, timeout=10)
                if response.status_code == 200 and len(self.worker_pids()) == self.workers:
                    return self
            except requests.RequestException:
                pass  # not listening yet, or its workers are still booting
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer on {self.url}:\n{self.log_tail()}")
            time.sleep(0.1)

    def stop(self, how="term", timeout=20):
        """``term``: a graceful restart or deploy. ``kill``: the whole server crashes (SIGKILL)."""
        if self.process is None or self.process.poll() is not None:
            return
        if how == "kill":
            os.killpg(self.process.pid, signal.SIGKILL)
        else:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout)

    def restart(self, how="term"):
        self.stop(how)
        return self.start()

    def worker_pids(self):
        if self.process is None:
            return []
        pids = []
        try:
            for task in Path(f"/proc/{self.process.pid}/task").iterdir():
                pids.extend(int(pid) for pid in (task / "children").read_text().split())
        except FileNotFoundError:
            return []
        return sorted(pids)

    def log_tail(self, lines=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    SERVER_ERRORS = ("Traceback", "Internal Server Error", "WORKER TIMEOUT", "[CRITICAL]", "[ERROR]")

    def server_errors(self):
        """Log lines that show a 500, a traceback or a worker in trouble (a 503 is not one)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return []
        return [line for line in text.splitlines() if any(mark in line for mark in self.SERVER_ERRORS)]


def rss_kib(pid, field="VmRSS"):
    """Resident set size of a process, read from /proc (KiB); ``field="VmHWM"``: its peak."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")
