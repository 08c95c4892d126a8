from django.db import models


class DraftRecord(models.Model):
    """No table: drafts live in Redis. This gives them a place in the admin and permissions.

    Staff may view drafts, delete them and extend their expiry, each by its own permission;
    nobody can edit a user's answers, so there is no add or change permission.
    """

    class Meta:
        managed = False
        db_table = "sessions_store_draft_not_a_table"
        verbose_name = "draft"
        verbose_name_plural = "drafts"
        default_permissions = ("view", "delete")
        permissions = [("change_expiry", "Can extend the expiry of a draft")]
