from django.apps import AppConfig


class SessionsStoreConfig(AppConfig):
    name = "sessions_store"
    verbose_name = "Drafts"

    def ready(self):
        from . import checks  # noqa: F401  (registers the deploy check of the drafts Redis)
