"""The simulated people, and the scheduler that gives the targets their turns.

Each client is one person with a user of their own and, per target, a ``Browser`` of
tests/support/browser.py (requests, the forms scraped from each page, every hidden input posted
back, ``X-Forwarded-Proto: https`` as behind the README's TLS proxy), logged in through
/accounts/login/. Each runs in a thread of its own, completing wizards in a closed loop on the
target the scheduler has made active: GET and POST each of the four steps (a real PDF upload in
step 2), the final POST creates the Project. A wizard in progress when its target's slice ends is
parked and resumed (GET of its step) at the target's next slice.
"""

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bench.load.measure import MemorySampler, postgres_backends, redis_client, redis_counts, snapshot
from bench.load import targets
from bench.load.targets import PASSWORD, TARGETS
from bench.wizard_payload import DOCUMENT, DOCUMENT_FIELD, DOCUMENT_NAME, STEP_NAMES, visible_fields
from tests.support.browser import Browser

SHOWN_STEP = re.compile(r'\bdata-step="([^"]*)"')
ERROR_MESSAGE = re.compile(r'class="error-message"[^>]*>(.*?)<')


class HTTPError(Exception):
    """An answer a person completing the wizard would not get."""


class Abandoned(Exception):
    """The slice of this target ended: the client parks its wizard and resumes it next time."""


class Run:
    """Everything measured for one target, over all its slices."""

    def __init__(self, target):
        self.target = target
        self.records = []  # (t_end, step, method, seconds, round trips, upkeep round trips, commands, names, bytes)
        self.completions = []
        self.errors = {}
        self.error_samples = []
        self.slices = []  # (start, switch, drained, snapshot before, snapshot after)
        self.samplers = []
        self._lock = threading.Lock()

    def note(self, step, method, page, elapsed):
        response, now = page.response, time.monotonic()
        self.records.append((now, step, method, elapsed, *redis_counts(response.headers), len(response.content)))
        return now

    def failed(self, exc):
        kind = str(exc).split(":")[0][:40]
        with self._lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            if len(self.error_samples) < 5:
                self.error_samples.append(str(exc)[:400])


class Scheduler:
    """Which target the clients drive now. Targets take turns in short slices (see ``schedule``)."""

    def __init__(self):
        self.active = None
        self.generation = 0
        self.inflight = 0
        self.finished = False
        self.event = threading.Event()  # set while a target is active (or at the end)
        self.changed = threading.Condition()

    def activate(self, target):
        with self.changed:
            self.generation += 1
            self.active = target
            self.event.set()

    def pause(self):
        with self.changed:
            self.generation += 1
            self.active = None
            self.event.clear()

    def finish(self):
        with self.changed:
            self.finished = True
            self.event.set()

    def turn(self):
        """(target, generation) to drive now, waiting while none is active; None at the end."""
        while True:
            self.event.wait()
            with self.changed:
                if self.finished:
                    return None
                if self.active is not None:
                    return self.active, self.generation

    def drained(self):
        """Wait for the requests still in flight (they finish, and count, after a switch)."""
        with self.changed:
            self.changed.wait_for(lambda: not self.inflight)

    def request(self, generation, run, step, method, call, *args):
        """(page, when it was noted) of ``call(*args)``, the ``method`` of ``step``, timed and noted
        in ``run`` before it stops counting as in flight; Abandoned if the slice of ``generation``
        is over."""
        with self.changed:
            if self.generation != generation:
                raise Abandoned
            self.inflight += 1
        try:
            started = time.perf_counter()
            page = call(*args)
            return page, run.note(step, method, page, time.perf_counter() - started)
        finally:
            with self.changed:
                self.inflight -= 1
                self.changed.notify_all()


def login(browser, username):
    browser.sign_in(username, PASSWORD)
    if "sessionid" not in browser.session.cookies:
        raise HTTPError(f"login of {username} failed: no session cookie")


def wizard(browser, run, sched, generation):
    """Complete one wizard (resuming a parked one): GET and POST each step, the last POST commits."""
    index, path = browser.position or (0, TARGETS[run.target]["start"])
    while index < len(STEP_NAMES):
        step = STEP_NAMES[index]
        browser.position = (index, path)  # a parked wizard starts again by GETting this step
        page, _ = sched.request(generation, run, step, "GET", browser.get, path)
        if page.status != 200:
            raise HTTPError(f"GET {step}: {page.status} {page.response.headers.get('location') or page.text[:200]!r}")
        shown = SHOWN_STEP.search(page.text)
        if shown and shown.group(1) != step:
            raise HTTPError(f"GET {step}: the page shows step {shown.group(1)!r}")
        page.form()  # parsed before the clock starts: a person has the page before posting it
        files = [(DOCUMENT_FIELD, (DOCUMENT_NAME, DOCUMENT, "application/pdf"))] if step == "requirements" else None
        page, done = sched.request(generation, run, step, "POST", browser.submit, page, visible_fields(step), files)
        if page.status != 302:
            errors = ERROR_MESSAGE.findall(page.text)[:3]
            raise HTTPError(f"POST {step}: {page.status} {errors or page.text[:300]!r}")
        index, path = index + 1, browser.location(page)
    browser.position = None
    if not re.fullmatch(r"/projects/\d+/", path):
        raise HTTPError(f"commit redirected to {path!r}, not to a project")
    run.completions.append(done)  # when the commit answered (noted while still in flight)


def client_loop(browsers, runs, sched):
    """One simulated person: a user of their own, logged in to every target, one wizard at a time."""
    while (turn := sched.turn()) is not None:
        target, generation = turn
        try:
            wizard(browsers[target], runs[target], sched, generation)
        except Abandoned:
            pass
        except (HTTPError, AssertionError, OSError) as exc:  # OSError: requests' errors too
            browsers[target].position = None
            runs[target].failed(exc)
            time.sleep(0.05)


def schedule(args):
    """[(target, seconds, measured?)]: a warm-up slice per target, then measured slices, the order
    rotating every round, so a change in the machine's other load hits every target alike."""
    plan = [(target, args.warmup, False) for target in args.targets]
    rounds = max(1, round(args.duration / args.slice))
    for number in range(rounds):
        shift = number % len(args.targets)
        for target in args.targets[shift:] + args.targets[:shift]:
            plan.append((target, args.duration / rounds, True))
    return plan


def browsers_for(args, servers, pool):
    """[{target: Browser}] per client, each signed in (all at once, as the clients would)."""
    browsers = [{} for _ in range(args.clients)]
    logins = []
    for target, server in servers.items():
        for n in range(args.clients):
            browser = Browser(server.url, user_agent=f"wizard-load/1 (client {n})")
            browser.session.headers["Accept"] = "text/html"
            browser.position = None  # (step index, path) of a parked wizard
            browsers[n][target] = browser
            logins.append(pool.submit(login, browser, f"bench-{n}"))
    for done in logins:
        done.result()
    return browsers


def drive(args, servers, runs):
    """Give the targets their slices (``schedule``), snapshotting CPU and Redis around each one."""
    sched = Scheduler()
    with ThreadPoolExecutor(max_workers=args.clients, thread_name_prefix="client") as pool:
        browsers = browsers_for(args, servers, pool)
        loops = [pool.submit(client_loop, browsers[n], runs, sched) for n in range(args.clients)]
        r = redis_client(args.redis_db)
        try:
            for target, seconds, measured in schedule(args):
                run, server = runs[target], servers[target]
                pg = postgres_backends(args.database)  # their CPU is PostgreSQL's share of the work
                pids = server.worker_pids() + [server.process.pid]
                before = snapshot(r, pids, pg)
                sched.activate(target)
                started = time.monotonic()
                if measured and target in ("app", "a", "b") and getattr(args, "sample_memory", True):
                    time.sleep(seconds / 2)
                    sampler = MemorySampler(target, args)
                    sampler.sample()
                    run.samplers.append((time.monotonic(), sampler))
                time.sleep(max(0.0, started + seconds - time.monotonic()))
                sched.pause()
                switched = time.monotonic()
                sched.drained()
                after = snapshot(r, pids, pg)
                if measured:
                    run.slices.append((started, switched, after["t"], before, after))
                failed = [loop for loop in loops if loop.done()]
                if failed:
                    failed[0].result()
        finally:
            sched.finish()


def start_and_drive(args, tmp, env):
    """Every target's server, then the clients driving them in turn; returns (servers, runs)."""
    servers = targets.start_servers(args, tmp, env)
    runs = {target: Run(target) for target in args.targets}
    print(f"driving {', '.join(args.targets)} in turn: {len(schedule(args))} slices, "
          f"about {(args.warmup + args.duration) * len(args.targets):.0f} s ...", flush=True)
    drive(args, servers, runs)
    return servers, runs
