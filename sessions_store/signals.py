"""What the draft store tells whoever listens (a site's metrics), without knowing who listens.

- ``draft_action``: one per logged draft action (``action``, ``step``, ``success``), sent by
  ``log.log_action`` whether or not the log line itself is enabled.
- ``store_error``: one per backend error turned into ``DraftStoreUnavailable`` (``error``).
"""

from django.dispatch import Signal

draft_action = Signal()
store_error = Signal()
