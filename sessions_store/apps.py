from django.apps import AppConfig


class SessionsStoreConfig(AppConfig):
    name = "sessions_store"
    verbose_name = "Drafts"
