"""The programme team's index (issue 9): a handful of people among tens of thousands of users, read
by name for the reviewer and owner lists of every review page."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_reminders_off"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="user",
            index=models.Index(
                condition=models.Q(("role", "programme_team")),
                fields=["full_name", "email", "id"],
                name="accounts_user_team",
            ),
        ),
    ]
