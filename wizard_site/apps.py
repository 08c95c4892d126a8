from django.apps import AppConfig


class WizardSiteConfig(AppConfig):
    name = "wizard_site"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import accounts  # noqa: F401  (its signal receivers: sign-ins start and end login sessions)
