"""The WSGI entry point bench/wizard_load.py runs under gunicorn: the site's own application, plus
an exact count of the Redis round trips each request makes.

redis-py sends every round trip through ``AbstractConnection.send_packed_command`` (one call for
a single command, one for a whole pipeline or MULTI/EXEC block, one for an EVALSHA), so counting
those calls counts round trips exactly, on the client side, whatever else uses the Redis server.
Commands are counted too (``send_command`` for one, ``pack_commands`` for a pipeline's). The
counts of a request go back in a response header, ``X-Bench-Redis: <round trips>;<commands>;
<names>``, read by the load generator. A gunicorn sync worker handles one request at a time, so a
per-process counter is per request. Cost: a few attribute updates per Redis call.

With BENCH_PROFILE=<dir>, each worker also profiles its requests (CPU time; logins and each worker's first 40 requests left out)
with cProfile and writes <dir>/<pid>.prof (every 50 requests and at exit).
"""

import atexit
import os

from redis.connection import AbstractConnection

_counts = {"rt": 0, "cmds": 0, "names": []}
_send_packed = AbstractConnection.send_packed_command
_send_command = AbstractConnection.send_command
_pack_commands = AbstractConnection.pack_commands


def _counting_send_packed(self, command, check_health=True):
    _counts["rt"] += 1
    return _send_packed(self, command, check_health=check_health)


def _counting_send_command(self, *args, **kwargs):
    _counts["cmds"] += 1
    if args:
        name = args[0]
        _counts["names"].append(name.decode() if isinstance(name, bytes) else str(name).split(" ")[0])
    return _send_command(self, *args, **kwargs)


def _counting_pack_commands(self, commands):
    commands = list(commands)
    _counts["cmds"] += len(commands)
    names = [str(cmd[0].decode() if isinstance(cmd[0], bytes) else cmd[0]).split(" ")[0] for cmd in commands if cmd]
    _counts["names"].append("+".join(names))  # one round trip: its commands joined by "+"
    return _pack_commands(self, commands)


AbstractConnection.send_packed_command = _counting_send_packed
AbstractConnection.send_command = _counting_send_command
AbstractConnection.pack_commands = _counting_pack_commands

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wizard_site.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

_django = get_wsgi_application()

_profile_dir = os.environ.get("BENCH_PROFILE")
_profiler = None
_served = 0
if _profile_dir:
    import cProfile
    import time

    _profiler = cProfile.Profile(time.process_time)  # CPU time: waits on a busy machine do not count

    def _dump():
        _profiler.dump_stats(os.path.join(_profile_dir, f"{os.getpid()}.prof"))

    atexit.register(_dump)


def application(environ, start_response):
    global _served
    _counts["rt"] = _counts["cmds"] = 0
    _counts["names"] = []

    def counting_start_response(status, headers, exc_info=None):
        # Django calls this after the view, the template and the middleware (session save) ran.
        names = ",".join(_counts["names"])[:1500]
        headers = list(headers) + [("X-Bench-Redis", f"{_counts['rt']};{_counts['cmds']};{names}")]
        return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

    if _profiler is None or environ.get("PATH_INFO", "").startswith("/accounts/"):
        return _django(environ, counting_start_response)
    _served += 1
    if _served <= 40:  # warm-up: first imports, template compilation, lazy regexes
        return _django(environ, counting_start_response)
    _profiler.enable()
    try:
        return _django(environ, counting_start_response)
    finally:
        _profiler.disable()
        if _served % 50 == 0:
            _dump()
