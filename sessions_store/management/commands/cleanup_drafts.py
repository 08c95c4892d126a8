from django.core.management.base import BaseCommand, CommandError

from sessions_store.cleanup import CleanupBusy, CleanupLockLost, cleanup_drafts
from sessions_store.store import DraftStoreUnavailable

# A batch is one Lua script that passes its ids to Redis commands through unpack, which takes at
# most about 8,000 values; and a batch of 500 already holds Redis some tens of milliseconds.
MAX_BATCH = 5000


class Command(BaseCommand):
    help = (
        "Remove what abandoned and expired drafts leave behind: index entries, temporary uploads, "
        "orphan files and stale tombstones. Run it from cron (hourly by default)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report what would be removed; change nothing.")
        parser.add_argument("--batch-size", type=int, default=500, help="Entries read per round trip (default 500, at most 5000).")
        parser.add_argument(
            "--tombstones", action="store_true",
            help="Check every tombstone for one that outlives DRAFT_TOMBSTONE_TTL (by default only when none has been "
            "checked against this TTL or a longer one).",
        )

    def handle(self, *args, dry_run, batch_size, tombstones, verbosity, **options):
        if not 1 <= batch_size <= MAX_BATCH:
            raise CommandError(f"--batch-size must be from 1 to {MAX_BATCH}")

        def progress(stage, count):
            # Every batch at -v 2; every 20 batches at the default verbosity (long runs only).
            if verbosity >= 2 or (verbosity == 1 and count % (batch_size * 20) == 0):
                self.stderr.write(f"... {count} {stage} checked")

        try:
            report = cleanup_drafts(batch_size=batch_size, dry_run=dry_run, progress=progress, tombstones=tombstones)
        except CleanupLockLost as exc:
            raise CommandError(f"Stopped without finishing: {exc} (it finishes the work).") from exc
        except CleanupBusy:
            self.stdout.write("another cleanup_drafts run holds the lock; nothing done")
            return
        except DraftStoreUnavailable as exc:
            raise CommandError(f"Redis is unreachable; stopped without finishing: {exc}") from exc
        except OSError as exc:
            raise CommandError(f"The upload area is unreachable; stopped without finishing: {exc}") from exc
        if report.overdue:
            self.stderr.write(
                f"warning: the previous run was at {report.previous_run:%Y-%m-%d %H:%M} UTC, more than "
                "twice SESSION_CLEANUP_INTERVAL ago: check the cron job"
            )
        if verbosity >= 1:
            self.stdout.write(report.summary())
