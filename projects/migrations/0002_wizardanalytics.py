from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("projects", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="WizardAnalytics",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
            ],
            options={
                "verbose_name": "wizard analytics",
                "verbose_name_plural": "wizard analytics",
                "db_table": "projects_wizard_analytics_not_a_table",
                "managed": False,
                "default_permissions": ("view",),
            },
        ),
    ]
