"""The audit log: who did what sensitive thing, when; read by the programme team, never edited."""

from django.db import models  # noqa: F401
