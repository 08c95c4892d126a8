"""Command-line options the wizard benchmarks share (wizard_load, stock_compare, wizard_cpu): where
they keep their data, and their profile."""

PROFILE_WORKERS = "cProfile every gunicorn worker into DIR/<target>/<pid>.prof"


def storage(parser, *, database, redis_db, redis_help="Redis db for drafts (FLUSHDB'd)"):
    """--database (PostgreSQL, created if missing) and --redis-db (flushed), with their defaults."""
    parser.add_argument("--database", default=database, help="PostgreSQL database (created if missing)")
    parser.add_argument("--redis-db", type=int, default=redis_db, help=redis_help)


def profile(parser, *, help=PROFILE_WORKERS, top=True):
    """--profile DIR or FILE, and --top: how many functions a profile shows."""
    parser.add_argument("--profile", help=help)
    if top:
        parser.add_argument("--top", type=int, default=10, help="functions shown per profile (default 10)")
