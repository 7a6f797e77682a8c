"""Participant and partner surveys: questions set by the programme team, answered in the portal."""

from django.db import models  # noqa: F401
