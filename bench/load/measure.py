"""What the load benchmark samples during a run: CPU from /proc, Redis INFO, storage per draft.

A snapshot is taken at the start and at the end of every slice (see clients.drive); summary.py
turns their differences into figures per wizard. Redis is the machine's (127.0.0.1:6379), one
connection per db for the whole run, so no connection set-up falls inside a measured window.
"""

import base64
import json
import os
import pickle
import time
import zlib
from collections import Counter

TICK = os.sysconf("SC_CLK_TCK")
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
UPKEEP = {"PING", "SELECT", "CLIENT", "HELLO", "AUTH"}  # connection set-up and health checks

_redis_clients = {}


def redis_client(db):
    """One connection per db for the whole run: no connection set-up inside a measured window."""
    if db not in _redis_clients:
        import redis

        _redis_clients[db] = redis.Redis(host="127.0.0.1", port=6379, db=db, socket_timeout=5)
    return _redis_clients[db]


def proc_cpu(pids, children_too=False):
    """Seconds of CPU (user + system) used so far by ``pids`` (and their reaped children)."""
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
        if children_too:
            total += int(fields[13]) + int(fields[14])
    return total / TICK


def machine_busy():
    """Seconds of CPU the whole machine has been busy (every core, every process)."""
    with open("/proc/stat") as handle:
        fields = [int(v) for v in handle.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / TICK


def commandstats(r):
    stats = {}
    for key, value in r.info("commandstats").items():
        name = key[len("cmdstat_"):] if key.startswith("cmdstat_") else key
        stats[name] = value["calls"] if isinstance(value, dict) else int(str(value).split("calls=")[1].split(",")[0])
    return stats


def snapshot(r, gunicorn_pids, pg_pids):
    cpu = r.info("cpu")
    return {
        "t": time.monotonic(),
        "machine_busy": machine_busy(),
        "gunicorn_cpu": proc_cpu(gunicorn_pids),
        "pg_cpu": {pid: proc_cpu([pid]) for pid in pg_pids},
        "redis_cpu": cpu["used_cpu_user"] + cpu["used_cpu_sys"],
        "redis_total_commands": r.info("stats")["total_commands_processed"],
        "commandstats": commandstats(r),
        "loadgen_cpu": sum(os.times()[:2]),  # this process: every client thread
    }


def postgres_backends(database):
    import psycopg

    with psycopg.connect(f"{POSTGRES}/{database}", autocommit=True) as conn:
        rows = conn.execute(
            "select pid from pg_stat_activity where datname = %s and pid <> pg_backend_pid()", (database,)
        ).fetchall()
    return [row[0] for row in rows]


def redis_counts(headers):
    """(round trips, of which upkeep, commands, their names) from a response's X-Bench-Redis header
    (bench/wizard_load_wsgi.py counts them in the worker)."""
    raw = headers.get("x-bench-redis", "0;0;")
    rt, cmds, names = raw.split(";", 2)
    names = [n for n in names.split(",") if n]
    upkeep = sum(1 for n in names if n.split("+")[0].split(" ")[0].upper() in UPKEEP)
    return int(rt), upkeep, int(cmds), ",".join(names)


class MemorySampler:
    """MEMORY USAGE of drafts (app) or cache sessions (b) mid-run; session row sizes for (a)."""

    def __init__(self, target, args):
        self.target = target
        self.args = args
        self.samples = []  # (label, bytes of the record, bytes of record + its tombstone)
        self.share = []  # bytes of everything in the db / live drafts
        self.own = Counter()  # our own Redis commands, subtracted from the deltas

    def sample(self):
        if self.target == "app":
            self._app()
        elif self.target == "b":
            self._sessions()
        elif self.target == "a":
            self._db_sessions()

    def _scan(self, r, limit=400):
        keys, cursor = [], 0
        while True:
            cursor, batch = r.scan(cursor, count=500)
            self.own["scan"] += 1
            keys.extend(batch)
            if cursor == 0 or len(keys) >= limit:
                return keys

    def _usage(self, r, key):
        self.own["memory|usage"] += 1
        return r.memory_usage(key, samples=0) or 0

    def _records(self, r, keys):
        """(key, value, MEMORY USAGE) of the first 60 of ``keys`` that are still there."""
        for key in keys[:60]:
            raw = r.get(key)
            self.own["get"] += 1
            if raw is not None:
                yield key, raw, self._usage(r, key)

    def _app(self):
        r = redis_client(self.args.redis_db)
        keys = self._scan(r)
        drafts = [k for k in keys if b":draft:" in k]
        total = sum(self._usage(r, k) for k in keys)
        if drafts:
            self.share.append(total / len(drafts))
        for key, raw, size in self._records(r, drafts):
            tomb = key.replace(b":draft:", b":tomb:")
            tomb_size = self._usage(r, tomb)
            try:
                label = state_label(json.loads(raw)["wizard"])
            except (ValueError, KeyError, TypeError, AttributeError):
                label = "?"
            self.samples.append((label, size, size + tomb_size, len(raw)))

    def _sessions(self):
        r = redis_client(self.args.session_redis_db)
        keys = self._scan(r)
        for _, raw, size in self._records(r, keys):
            label = "?"
            try:
                data = pickle.loads(raw)  # our own stock django-redis pickles: trusted here
                state = data.get("wizard_project_wizard")
                label = state_label(state) if state is not None else "login only"
            except Exception:
                pass
            self.samples.append((label, size, size, len(raw)))

    def _db_sessions(self):
        import psycopg

        with psycopg.connect(f"{POSTGRES}/{self.args.database}", autocommit=True) as conn:
            rows = conn.execute("select session_data from django_session").fetchall()
        for (data,) in rows:
            state = decode_db_session(data).get("wizard_project_wizard")
            if state is None:
                continue  # a login-only session (the app's and (c)'s share the table)
            length = len(data.encode())
            self.samples.append((state_label(state, "session_data bytes"), length, length, length))


def state_label(state, suffix=""):
    steps = len(state.get("step_data") or {})
    label = f"at {state['step']} ({steps} steps stored)" if state.get("step") else "between wizards (reset)"
    return f"{label}, {suffix}" if suffix else label


def decode_db_session(data):
    """The payload of a Django database session (signed, maybe zlib-compressed JSON), unverified."""
    try:
        payload = data.rsplit(":", 2)[0]
        compressed = payload.startswith(".")
        payload = payload.lstrip(".")
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        return json.loads(zlib.decompress(raw) if compressed else raw)
    except Exception:
        return {}


def index_entry_cost(args):
    """Bytes one draft adds to a large sorted set, measured: (per id entry, per search entry).

    The app indexes every draft in six sorted sets keyed by its id (index, index:created,
    index:expiry, index:step:<step>, index:kind:<kind>, owner:<owner>) and one search entry. At
    this benchmark's scale those sets are small (compact listpack encoding); at production scale
    they are skiplists, which cost more per entry. 5,000 entries in db --redis-db, then FLUSHDB.
    """
    import uuid

    r = redis_client(args.redis_db)
    r.flushdb()
    ids = [str(uuid.uuid4()) for _ in range(5000)]
    now = time.time()
    pipe = r.pipeline(transaction=False)
    for n, ident in enumerate(ids):
        pipe.zadd("bench:index", {ident: now + n})
        pipe.zadd("bench:search", {f"harbour office retrofit harbour estates ltd facilities@harbour.example|{ident}": 0})
    pipe.execute()
    per_id = (r.memory_usage("bench:index", samples=0) or 0) / len(ids)
    per_search = (r.memory_usage("bench:search", samples=0) or 0) / len(ids)
    r.flushdb()
    return {"per_id": per_id, "per_search": per_search, "per_draft": 6 * per_id + per_search}
