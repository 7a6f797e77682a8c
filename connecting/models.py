from django.db import models


class Heartbeat(models.Model):
    """When a background process last proved it was alive (the beat-scheduled heartbeat task)."""

    name = models.CharField(max_length=50, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
