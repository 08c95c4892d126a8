"""The seed's SessionLog: one structured line per draft action on the ``sessions_store`` logger."""

import json
import logging
import time
from collections import Counter
from contextlib import contextmanager

from .signals import draft_action

logger = logging.getLogger("sessions_store")


def _record(action, draft_id, *, step=None, duration_ms=None, success=True, error=None, **extra):
    """One line's JSON: ``draft_id``, ``action``, ``step``, ``duration_ms``, ``success``, ``error``."""
    record = {
        "draft_id": str(draft_id) if draft_id else None,
        "action": action,
        "step": step,
        "duration_ms": round(duration_ms, 2) if duration_ms is not None else None,
        "success": success,
        "error": error,
    }
    record.update(extra)
    return json.dumps(record, sort_keys=True)


def log_action(action, draft_id, *, step=None, duration_ms=None, success=True, error=None, **extra):
    level = logging.INFO if success else logging.ERROR
    draft_action.send(sender=None, action=action, step=step, success=success)
    if logger.isEnabledFor(level):
        logger.log(level, _record(action, draft_id, step=step, duration_ms=duration_ms, success=success, error=error, **extra))


# Ids in one batch line at most: 500 make a line of about 19 KB, under journald's 48 KB line limit
# (a larger --batch-size gets a line per 500, rather than lines the journal would cut in two).
BATCH_LINE_IDS = 500


def log_batch(action, items):
    """Many drafts' ``action`` at once (``cleanup_drafts``'s expiries): one line at INFO for the
    batch, with ``count``, the ``draft_ids`` and the count per step (``steps``), and a line per
    draft only at DEBUG. ``items``: [(draft id, step)]. The ``draft_action`` signal still goes
    out once per draft."""
    for _, step in items:
        draft_action.send(sender=None, action=action, step=step, success=True)
    if not items or not logger.isEnabledFor(logging.INFO):
        return
    if logger.isEnabledFor(logging.DEBUG):
        for draft_id, step in items:
            logger.debug(_record(action, draft_id, step=step))
    for start in range(0, len(items), BATCH_LINE_IDS):
        part = items[start : start + BATCH_LINE_IDS]
        steps = dict(Counter(step for _, step in part))
        logger.info(_record(action, None, count=len(part), draft_ids=[str(draft_id) for draft_id, _ in part], steps=steps))


@contextmanager
def logged(action, draft_id, *, step=None):
    """Time the block and log it once: success, or the error it raised (which propagates)."""
    started = time.perf_counter()
    try:
        yield
    except Exception as exc:
        log_action(
            action,
            draft_id,
            step=step,
            duration_ms=(time.perf_counter() - started) * 1000,
            success=False,
            error=f"{type(exc).__name__}: {exc}",
        )
        raise
    log_action(action, draft_id, step=step, duration_ms=(time.perf_counter() - started) * 1000)
