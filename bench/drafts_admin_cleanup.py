"""Benchmark: the drafts admin (list, filters, search) with 100,000 and 1,000,000 live drafts, the
search index's bytes per draft, then `cleanup_drafts` once those drafts have expired.

    .venv/bin/python bench/drafts_admin_cleanup.py                          # 100k and 1M
    .venv/bin/python bench/drafts_admin_cleanup.py --sizes 10000            # quick
    git archive <commit> | tar -x -C /tmp/before                             # before/after, one run:
    .venv/bin/python bench/drafts_admin_cleanup.py --baseline /tmp/before
    .venv/bin/python bench/drafts_admin_cleanup.py --sizes 1000000 --admin-only   # pages only, drafts kept
    .venv/bin/python bench/drafts_admin_cleanup.py --sizes 1000000 --admin-only --reuse --baseline /tmp/before

Runs against its own embedded Redis and SQLite under var/bench/ (or REDIS_URL / DATABASE_URL if
set: it FLUSHES that Redis database, database 1 of the same server, which holds a copy, and
database 2, the yardstick's scratch).
Drafts are written with the store's own save script, so the indexes and tombstones are exactly
what the app writes; they "expire" by having their records deleted (as Redis expiry does) with the
app clock moved past their expiry. Each size is populated once (with this checkout's code) and
every cleanup (this checkout's and, with --baseline, that directory's: an export of an earlier
commit; at each of --log-levels) runs in a fresh process on a copy of the same expired state (a
DUMP/RESTORE copy for every cleanup, the first too), after the append-only file is rewritten: a
before/after from one run. --no-admin skips the admin pages (a million drafts: ~15 min to
populate, ~7 min a cleanup). Each cleanup is framed by a yardstick, a fixed piece of work of the
same kind on the same Redis: how fast the machine was just before and just after it.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = Path(os.environ.get("BENCH_CODE_ROOT", ROOT))  # whose code a child process runs
sys.path.insert(0, str(CODE))
os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DRAFT_LOG_LEVEL", "WARNING")  # measure the work, not a million log lines
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wizard_site.settings")
os.environ.setdefault("REDIS_SOCKET_TIMEOUT", "120")  # a batch of a loaded machine may take seconds
STEPS = ["details", "requirements", "sources", "review"]
REPEATS = 5


def setup():
    if not os.environ.get("REDIS_URL"):
        from sessions_store import embedded

        # A million drafts' append-only file, kept for --reuse, takes about a minute to load.
        embedded.start(timeout=600)
    import django

    django.setup()


def store():
    from sessions_store.store import get_draft_store

    return get_draft_store()


# --- children: each runs in a fresh process, with CODE's code ----------------------------------------

def child_populate(count):
    """``count`` live drafts through the store's save script, in pipelines of 1,000. The script's
    keys and arguments come from the store's own ``save_command`` for one template draft per step
    and owner kind, with the id, the owner and the names put in per draft (a million drafts built
    one by one took the best part of an hour on this machine)."""
    import uuid

    from sessions_store.redis_scripts import SAVE, script

    drafts = store()
    templates = {(step, kind): _template(drafts, step, kind) for step in STEPS for kind in ("u", "a")}
    spread = int(os.environ.get("BENCH_SPREAD_GENERATIONS") or 0)
    if spread:
        from django.conf import settings

        from sessions_store import clock
        from sessions_store.redis_admin import search_generation

        generation, period = search_generation(clock.now()), settings.DRAFT_SEARCH_GENERATION
        for keys, args in templates.values():
            args[6] = args[6].replace(f'"g": {generation}', '"g": GENR')
            assert "GENR" in args[6], "the template's tombstone has no generation"
    made = 0
    while made < count:
        pipe = drafts.redis.pipeline(transaction=False)
        for n in range(made, min(count, made + 1000)):
            kind = "u" if n % 3 else "a"
            marks = {
                TEMPLATE_ID: str(uuid.uuid4()),
                "OWNR": owner(n, kind),
                "PNUM": str(n), "pnum": str(n), "CNUM": str(n % 1000), "cnum": str(n % 1000),
            }
            if spread:  # the draft's words as written in one of ``spread`` hours, oldest first
                marks["GENR"] = str(generation - (spread - 1 - n * spread // count) * period)
            keys, args = templates[(STEPS[n % 4], kind)]
            script(SAVE)(keys=[_fill(key, marks) for key in keys], args=[_fill(arg, marks) for arg in args], client=pipe)
        pipe.execute()
        made = min(count, made + 1000)
    return {"drafts": made}


TEMPLATE_ID = "0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f"


def owner(n, kind):
    """Draft ``n``'s owner: by default 500 users and 997 browsers share every draft (each owner
    has hundreds, so every expiry pushes one out of the owner's 50 ended drafts); with
    BENCH_DRAFTS_PER_OWNER=k (--drafts-per-owner), each owner has about k."""
    per_owner = int(os.environ.get("BENCH_DRAFTS_PER_OWNER") or 0)
    if per_owner:
        return str(n // per_owner + 1)
    return str(n % 500 + 1) if kind == "u" else f"{n % 997}"


def _template(drafts, step, kind):
    from sessions_store.drafts import Draft, Owner

    owner = Owner(key="u:OWNR" if kind == "u" else "a:tokenOWNR", user_agent_hash="x")
    draft = Draft.new(owner=owner, metadata={"user_agent": "bench", "ip_address": "127.0.0.1", "platform": "Linux"})
    draft.id = TEMPLATE_ID
    draft.wizard["step"] = step
    draft.wizard["step_data"]["details"] = {
        "details-project_name": ["Project PNUM"],
        "details-client_name": ["Client CNUM"],
        "details-client_email": ["clientCNUM@example.com"],
        "details-building_type": ["commercial"],
        "details-square_footage": ["1200"],
        "details-priority": ["medium"],
    }
    draft.validation = {name: True for name in STEPS[: STEPS.index(step)]}
    return drafts.save_command(draft)


def _fill(value, marks):
    if isinstance(value, bytes):
        return _fill(value.decode(), marks).encode()
    if not isinstance(value, str):
        return value
    for mark, text in marks.items():
        value = value.replace(mark, text)
    return value


def child_admin():
    """Each admin page REPEATS times through Django's test client: median and first (cold), ms."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    drafts = store()
    User = get_user_model()
    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(admin)
    some_id = drafts.redis.zrange(drafts.key("index"), 0, 0)[0].decode()
    cases = {
        "first page, newest activity": "",
        "page 1,000 (deep)": "?p=1000",
        "sorted by created": "?o=-created",
        "filter: step": "?step=sources",
        "filter: step, page 2": "?step=sources&p=2",
        "filter: step + owner kind": "?step=sources&kind=user",
        "filter: step + owner kind, page 2": "?step=sources&kind=user&p=2",
        "filter: step, sorted by created": "?step=sources&o=-created",
        "search: project name": "?q=project 4242",
        "search: client name": "?q=client 42",
        "search: client email": "?q=client42@example.com",
        "search: draft id prefix": "?q=" + some_id[:13],
    }
    results = {}
    for label, query in cases.items():
        times, cpu = [], []
        for _ in range(REPEATS):
            started, used = time.perf_counter(), cpu_seconds(drafts.redis)
            response = client.get("/admin/sessions_store/draftrecord/" + query, HTTP_HOST="127.0.0.1")
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((cpu_seconds(drafts.redis) - used) * 1000)
            assert response.status_code == 200, response.status_code
        results[label] = {"p50": statistics.median(times), "first": times[0], "cpu_p50": statistics.median(cpu)}
    return results


def redis_cpu(redis):
    """The Redis server's CPU seconds so far (INFO cpu, user + system)."""
    info = redis.info("cpu")
    return info["used_cpu_user"] + info["used_cpu_sys"]


def cpu_seconds(redis):
    """CPU used so far by this process and by the Redis server (which only the benchmark uses):
    on a machine this busy, wall time mostly measures the wait for a core."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime + redis_cpu(redis)


YARDSTICK = """
for i, key in ipairs(KEYS) do
    redis.call('GET', key)
    redis.call('EXISTS', key)
    redis.call('ZADD', 'yardstick:set', tonumber(ARGV[i]) + 1000000, key)
    redis.call('ZREM', 'yardstick:set', ARGV[i])
end
return #KEYS
"""


def yardstick(redis, entries=20_000, batch=500):
    """The machine's speed right now, by a fixed piece of work like the cleanup's on the same Redis
    server (database 2, flushed): batches of ``batch`` keys, each read, checked and moved in a
    200,000-member sorted set by one script. CPU µs (this process + Redis) per entry. The same
    cleanup measured up to 3x apart from run to run, with plain commands inside it just as far
    apart: the yardstick shows the machine's part. (It does not correct for it: divided by it, an
    A/A pair came out nearer in one run and further apart in another.)"""
    scratch = database(redis, 2)
    scratch.flushdb()
    for start in range(0, 200_000, 2_000):  # small writes: the cleanup's peak RSS is measured after
        scratch.zadd("yardstick:set", {str(n): n for n in range(start, start + 2_000)})
    for start in range(0, entries, 1_000):
        scratch.mset({f"yardstick:{n}": "x" * 200 for n in range(start, start + 1_000)})
    run = scratch.register_script(YARDSTICK)
    used = cpu_seconds(scratch)
    for start in range(0, entries, batch):
        numbers = range(start, start + batch)
        run(keys=[f"yardstick:{n}" for n in numbers], args=[str(n * 7 % 200_000) for n in numbers])
    used = cpu_seconds(scratch) - used
    scratch.flushdb()
    scratch.connection_pool.disconnect()
    return used / entries * 1e6


def child_cleanup(batch_size, travel_seconds):
    """One cleanup with the clock moved past every draft's expiry: wall time, CPU (command +
    Redis), peak RSS, and the Redis commands it ran (INFO commandstats, reset just before)."""
    from django.core.management import call_command

    from sessions_store import clock

    clock.travel(timedelta(seconds=travel_seconds))
    redis = store().redis
    yardsticks = [yardstick(redis)]
    redis.config_resetstat()
    started, used = time.perf_counter(), cpu_seconds(redis)
    call_command("cleanup_drafts", batch_size=batch_size, verbosity=1)
    elapsed, used = time.perf_counter() - started, cpu_seconds(redis) - used
    commands = {
        name.removeprefix("cmdstat_"): {"calls": stats["calls"], "usec": stats["usec"]}
        for name, stats in redis.info("commandstats").items()
    }
    return {
        "seconds": elapsed, "cpu_seconds": used, "commands": commands,
        "max_rss_mb": peak_rss_mb(), "yardstick_us": yardsticks + [yardstick(redis)],
    }


def peak_rss_mb():
    """This process's own peak RSS (VmHWM). Not getrusage's ru_maxrss: Linux carries that across
    the vfork and exec that start a child, so a child reported its parent's peak (the parent of
    this benchmark held every draft id at once: 253 MB at a million, which looked like the
    cleanup's)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


CHILDREN = {"populate": child_populate, "admin": child_admin, "cleanup": child_cleanup}


def run_child(code, name, *args, log_level=None):
    """A child step with ``code``'s code; its result (the last line it prints, JSON). Its stderr
    (the log lines, a million at INFO) goes to a file, not to memory."""
    env = {**os.environ, "BENCH_CODE_ROOT": str(code)}
    if log_level:
        env.update(DRAFT_LOG_LEVEL=log_level, LOG_FORMAT="json")  # the production format
    errors = Path(os.environ["VAR_DIR"]) / "child-stderr.log"
    with open(errors, "w+") as stderr:
        out = subprocess.run(
            [sys.executable, __file__, "--child", name, *map(str, args)], stdout=subprocess.PIPE, stderr=stderr, text=True, env=env
        )
        if out.returncode:
            stderr.seek(0, os.SEEK_END)
            stderr.seek(max(0, stderr.tell() - 3000))
            sys.exit(f"{name} ({code}) failed:\n{stderr.read()}")
    lines = out.stdout.strip().splitlines()
    return json.loads(lines[-1]), "\n".join(lines[:-1])


# --- the parent: this checkout's code, for Redis housekeeping only --------------------------------

def baseline_script(directory, name):
    """Script ``name`` (EXPIRE_DUE, SEARCH, ...) as ``directory``, an export of an earlier commit,
    defines it."""
    source = (Path(directory) / "sessions_store" / "redis_scripts.py").read_text()
    namespace = {}
    exec(compile(source.replace("from .connection import redis", ""), str(directory), "exec"), namespace)
    return namespace[name]


def admin_pages(redis, code):
    """child_admin with ``code``'s code, every filtered page's intersection built by that code
    (another's, kept for paging, would make its first page a reuse)."""
    from sessions_store.connection import make_key

    kept = list(redis.scan_iter(match=make_key("tmp", "*"), count=10_000))
    if kept:
        redis.delete(*kept)
    return run_child(code, "admin")[0]


def search_index_bytes(redis):
    """MEMORY USAGE of the search index's keys, and INFO used_memory freed by deleting them."""
    keys = list(redis.scan_iter(match="*search*", count=10_000))
    pipe = redis.pipeline(transaction=False)
    for key in keys:
        pipe.memory_usage(key, samples=0)
    usage = sum(pipe.execute())
    before = redis.info("memory")["used_memory"]
    for start in range(0, len(keys), 1000):
        redis.delete(*keys[start : start + 1000])
    return usage, before - redis.info("memory")["used_memory"], len(keys)


def note_tombstones_checked(drafts):
    """As after the hourly runs before this one: every tombstone already checked against this TTL,
    so a cleanup reads none. Under this code's field and the one earlier code (a --baseline) reads;
    code that keeps no such record ignores it."""
    from django.conf import settings

    from sessions_store.redis_upkeep import TOMBSTONES_CHECKED

    fields = {name: settings.DRAFT_TOMBSTONE_TTL for name in ("tombstones_checked_for", TOMBSTONES_CHECKED)}
    drafts.redis.hset(drafts.key("stats", "cleanup"), mapping=fields)


def expire_all(drafts):
    """What Redis expiry does to every draft: no record, a tombstone with DRAFT_TOMBSTONE_TTL to go.
    A thousand ids at a time (this process stays small: its children's peak RSS is their own)."""
    from django.conf import settings

    redis = drafts.redis
    if os.environ.get("BENCH_TOMBSTONES_CHECKED"):
        note_tombstones_checked(drafts)
    total, start = 0, 0
    while True:
        chunk = [member.decode() for member in redis.zrange(drafts.key("index"), start, start + 999)]
        if not chunk:
            return total
        pipe = redis.pipeline(transaction=False)
        pipe.delete(*[drafts.key("draft", draft_id) for draft_id in chunk])
        for draft_id in chunk:
            pipe.expire(drafts.key("tomb", draft_id), settings.DRAFT_TOMBSTONE_TTL)
        pipe.execute()
        total, start = total + len(chunk), start + len(chunk)


def database(redis, number):
    """A client of database ``number`` of the same Redis server as ``redis``."""
    pool = redis.connection_pool
    return redis.__class__(connection_pool=pool.__class__(**{**pool.connection_kwargs, "db": number}, connection_class=pool.connection_class))


def clone_db(redis, into):
    """Copy every key of ``redis``'s database (with its TTL) into the empty database ``into``:
    a second cleanup of the very same expired drafts without populating them again."""
    target = database(redis, into)
    target.flushdb()
    batch = []

    def copy(keys):
        pipe = redis.pipeline(transaction=False)
        for key in keys:
            pipe.dump(key)
            pipe.pttl(key)
        values = pipe.execute()
        pipe = target.pipeline(transaction=False)
        for key, dumped, ttl in zip(keys, values[::2], values[1::2]):
            if dumped is not None:
                pipe.restore(key, max(ttl, 0), dumped, replace=True)
        pipe.execute()

    for key in redis.scan_iter(count=10_000):
        batch.append(key)
        if len(batch) >= 2000:
            copy(batch)
            batch = []
    if batch:
        copy(batch)
    target.connection_pool.disconnect()


def settle_aof(redis):
    """Rewrite the append-only file and wait for it, so that no cleanup pays for the rewrite the
    previous step's writes triggered (the fork's copy-on-write faults count as Redis's own CPU:
    the first cleanup after a population measured 1.7x the CPU of the same cleanup run later)."""
    if not int(redis.info("persistence").get("aof_enabled", 0)):
        return
    while True:
        persistence = redis.info("persistence")
        if not persistence["aof_rewrite_in_progress"] and not persistence["aof_rewrite_scheduled"]:
            break
        time.sleep(0.5)
    redis.bgrewriteaof()
    time.sleep(0.5)
    while redis.info("persistence")["aof_rewrite_in_progress"]:
        time.sleep(0.5)


def measure(runs, size, batch_size, search_memory, admin, reuse=False, admin_only=False, populate_each=False):
    """Populate ``size`` live drafts (with the last run's code), time the admin, then expire them
    all and time each run's cleanup of that same state: ``runs`` is [(label, code, log level)],
    each cleanup on a copy of the expired drafts (database 1 keeps it meanwhile).
    ``reuse``: keep a population of ``size`` already there (the index format must be the same).
    ``admin_only``: each run's code times the admin pages (alternating), no cleanup, and the
    drafts are left in Redis (for ``reuse``). ``populate_each``: each run on a population written
    by its own code (when the codes' index formats differ), one after the other."""
    from django.conf import settings

    if populate_each and len(runs) > 1:
        rows = {}
        for run in runs:
            rows.update(measure([run], size, batch_size, search_memory, admin, admin_only=admin_only))
        return rows

    drafts = store()
    redis = drafts.redis
    if redis.connection_pool.connection_kwargs.get("db", 0) in (1, 2):
        sys.exit("REDIS_URL's database must not be 1 or 2: the benchmark keeps its copy there and its yardstick")
    code = runs[-1][1]
    started = time.perf_counter()
    if not (reuse and redis.zcard(drafts.key("index")) == size):
        redis.flushdb(asynchronous=True)
        run_child(code, "populate", size)
    common = {"populate": time.perf_counter() - started, "used_live": redis.info("memory")["used_memory"]}
    if admin_only:
        codes = {label: code for label, code, _ in runs}
        return {(label, "—"): {**common, "admin": admin_pages(redis, code)} for label, code in codes.items()}
    common["admin"] = admin_pages(redis, code) if admin else {}
    if not search_memory:  # MEMORY USAGE only; the freed bytes need a population of their own
        keys = list(redis.scan_iter(match="*search*", count=10_000))
        pipe = redis.pipeline(transaction=False)
        for key in keys:
            pipe.memory_usage(key, samples=0)
        common["search_bytes"] = (sum(pipe.execute()), None, len(keys))
    expire_all(drafts)
    # Every cleanup runs on a DUMP/RESTORE copy, the first as well: a restored sorted set is laid
    # out afresh, and its ZREMs cost about half of the same set's as the population wrote it
    # (11.3-11.6 against 17.4-21.6 µs an entry in three A/A runs at a million, 2026-12-02), so a
    # first cleanup on the original and the next on a copy favoured the second.
    clone_db(redis, 1)
    redis.flushdb()
    redis.swapdb(0, 1)
    common["used_before"] = redis.info("memory")["used_memory"]
    rows = {}
    for n, (label, code, level) in enumerate(runs):
        last = n == len(runs) - 1
        if not last:
            clone_db(redis, 1)
        copy_bytes = redis.info("memory")["used_memory"] - common["used_before"] if not last else 0
        row = dict(common)
        settle_aof(redis)
        started = time.perf_counter()
        # Past the drafts' expiry and the end of their search index generation: the run expires
        # them and drops their generation, as a steady state's hourly run does for an hour of drafts.
        travel = settings.SESSION_TTL + settings.DRAFT_SEARCH_GENERATION + 60
        row["cleanup"], row["summary"] = run_child(code, "cleanup", batch_size, travel, log_level=level)
        row["used_after"] = redis.info("memory")["used_memory"] - copy_bytes
        assert redis.zcard(drafts.key("index")) == 0, "index not emptied"
        row["search_left"] = len(list(redis.scan_iter(match="*search*", count=10_000)))
        print(f"# {label} {level} {size:,}: cleanup {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        print(json.dumps({"label": label, "level": level, "size": size, **row}), file=sys.stderr, flush=True)
        rows[(label, level)] = row
        if not last:
            redis.flushdb()
            redis.swapdb(0, 1)
    if search_memory:
        # Measured on a second population (the cleanup above emptied the index).
        redis.flushdb(asynchronous=True)
        run_child(code, "populate", size)
        search = search_index_bytes(redis)
        for row in rows.values():
            row["search_bytes"] = search
    redis.flushdb(asynchronous=True)
    return rows


def report(rows, sizes):
    """``rows``: {(size, label, log level): row}."""
    admin = {(size, label): row["admin"] for (size, label, _), row in rows.items() if row["admin"]}
    if admin:
        print("\n### Drafts admin list page (ms: wall median of 5 / wall of the first / CPU median, app + Redis; in-process test client)\n")
        print("| page | " + " | ".join(f"{label} {size:,}" for size, label in admin) + " |")
        print("|---|" + "---:|" * len(admin))
        for page in next(iter(admin.values())):
            cells = [admin[size][page] for size in admin]
            print(f"| {page} | " + " | ".join(f"{t['p50']:.1f} / {t['first']:.1f} / {t['cpu_p50']:.1f}" for t in cells) + " |")
    cleaned = {key: row for key, row in rows.items() if "cleanup" in row}
    if not cleaned:
        return
    print("\n### `cleanup_drafts` of those drafts once expired (each row a cleanup of the same expired state)\n")
    print("| code | log level | expired entries | cleanup (s) | entries/s | CPU s (command + Redis) | entries per CPU-second | yardstick (µs an entry, before / after) | peak RSS (MB) | Redis used: live → expired → after cleanup (MB) | search keys left |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (size, label, level), row in cleaned.items():
        seconds, cpu = row["cleanup"]["seconds"], row["cleanup"]["cpu_seconds"]
        sticks = row["cleanup"]["yardstick_us"]
        print(
            f"| {label} | {level} | {size:,} | {seconds:.1f} | {size / seconds:,.0f} | {cpu:.1f} "
            f"| {size / cpu:,.0f} | {sticks[0]:.1f} / {sticks[1]:.1f} "
            f"| {row['cleanup']['max_rss_mb']:.0f} "
            f"| {row['used_live'] / 1e6:,.0f} → {row['used_before'] / 1e6:,.0f} → {row['used_after'] / 1e6:,.0f} | {row['search_left']} |"
        )
    print("\n### Redis commands per expired entry (calls / µs of Redis time, INFO commandstats)\n")
    rows = cleaned
    keys = list(rows)
    names = sorted({name for row in rows.values() for name in row["cleanup"]["commands"]},
                   key=lambda name: -max(row["cleanup"]["commands"].get(name, {}).get("usec", 0) for row in rows.values()))
    print("| command | " + " | ".join(f"{label} {level} {size:,}" for size, label, level in keys) + " |")
    print("|---|" + "---:|" * len(keys))
    for name in names[:15]:
        cells = []
        for size, label, level in keys:
            stats = rows[(size, label, level)]["cleanup"]["commands"].get(name)
            cells.append(f"{stats['calls'] / size:.2f} / {stats['usec'] / size:.1f}" if stats else "—")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("\n### Search index per live draft\n")
    print("| drafts | keys | MEMORY USAGE sum (bytes/draft) | used_memory freed by deleting it (bytes/draft) |")
    print("|---:|---:|---:|---:|")
    for size in sizes:
        row = next(row for (at, _, _), row in rows.items() if at == size)
        usage, freed, keys_count = row["search_bytes"]
        freed = f"{freed / size:.0f}" if freed is not None else "—"
        print(f"| {size:,} | {keys_count:,} | {usage / size:.0f} | {freed} |")
    for (size, label, level), row in rows.items():
        print(f"<!-- {label} {level} {size:,}: {row['summary'].strip()} -->")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--baseline", type=Path, help="an export of an earlier commit, measured alongside")
    parser.add_argument("--baseline-sizes", type=int, nargs="*", help="sizes the baseline is measured at (default: all)")
    parser.add_argument("--log-levels", nargs="+", default=["WARNING"], help="the cleanup's DRAFT_LOG_LEVEL, one cleanup each (INFO: JSON lines, as in production)")
    parser.add_argument("--no-admin", action="store_true", help="skip the admin page timings")
    parser.add_argument("--reuse", action="store_true", help="keep a population of the size already in Redis (same index format only)")
    parser.add_argument("--admin-only", action="store_true", help="time the admin pages only (each code, alternating): no cleanup, the drafts stay in Redis")
    parser.add_argument("--drafts-per-owner", type=int, default=0, help="about this many drafts per owner (default: hundreds each, the first benchmarks' population)")
    parser.add_argument("--steady", action="store_true", help="as an hourly run after others: the tombstones were checked already (the first run ever reads every tombstone)")
    parser.add_argument("--spread-generations", type=int, default=0, help="the drafts' search entries spread over this many hourly generations (production holds about SESSION_TTL / DRAFT_SEARCH_GENERATION + 2)")
    parser.add_argument("--populate-each", action="store_true", help="each code cleans up a population written by its own code (index formats differ); runs one after the other")
    parser.add_argument("--freed-bytes", action="store_true", help="also measure the search index by deleting it (one more population per size)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.spread_generations:
        os.environ["BENCH_SPREAD_GENERATIONS"] = str(args.spread_generations)  # read by the populate child
    if args.steady:
        os.environ["BENCH_TOMBSTONES_CHECKED"] = "1"
    if args.drafts_per_owner:
        os.environ["BENCH_DRAFTS_PER_OWNER"] = str(args.drafts_per_owner)  # read by the populate child
    setup()
    if args.child:
        name, *values = args.child
        print(json.dumps(CHILDREN[name](*map(int, values))))
        return
    trees = ([("before", args.baseline.resolve())] if args.baseline else []) + [("after" if args.baseline else "this", ROOT)]
    rows = {}
    for size in args.sizes:
        runs = [
            (label, code, level)
            for level in args.log_levels
            for label, code in trees
            if not (label == "before" and args.baseline_sizes is not None and size not in args.baseline_sizes)
        ]
        started = time.perf_counter()
        for (label, level), row in measure(
            runs, size, args.batch_size, args.freed_bytes, not args.no_admin, reuse=args.reuse, admin_only=args.admin_only,
            populate_each=args.populate_each,
        ).items():
            rows[(size, label, level)] = row
        print(f"# {size:,}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    print(f"# batch size {args.batch_size}; load average at the end: {os.getloadavg()[0]:.1f}")
    report(rows, args.sizes)


if __name__ == "__main__":
    main()
