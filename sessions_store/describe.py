"""What the store needs to know about a draft's contents, told by the app that uses it.

The store keeps drafts of any multi-step form. It learns the form's step names (the first is
where a new draft stands), a draft's title and what staff search matches in it from the
describer named by the DRAFT_DESCRIBER setting, never by importing the app.
"""

from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string


class DraftDescriber:
    """Subclass and name it in DRAFT_DESCRIBER."""

    #: The form's step names, in order.
    steps = ("start",)

    def title(self, draft):
        """A short human name for the draft ("" when it has none yet); its tombstone keeps it, so
        the owner's list of discarded and expired drafts can name them."""
        return ""

    def search_text(self, draft):
        """What staff search matches in ``draft`` (the store lowercases it); the title by default."""
        return self.title(draft)

    def expiry_counts(self, step):
        """Counter names (sessions_store.counters) to count when a draft that had reached
        ``step`` ("unknown" if not known) is found expired; none by default."""
        return ()


@lru_cache(maxsize=1)
def get_describer():
    return import_string(settings.DRAFT_DESCRIBER)()


@receiver(setting_changed)
def _forget_describer(setting, **kwargs):
    if setting == "DRAFT_DESCRIBER":
        get_describer.cache_clear()
