"""The review queue's index (issue 9): the debriefs waiting for review (submitted, in review,
changes requested) in queue order, so a page of the queue reads the first rows of a small index
instead of sorting every waiting debrief with its long texts."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("debriefs", "0004_insight_search_document"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="debrief",
            index=models.Index(
                condition=models.Q(("status__in", ("submitted", "in_review", "changes_requested"))),
                fields=["submitted_at", "id"],
                name="debriefs_debrief_awaiting",
            ),
        ),
    ]
