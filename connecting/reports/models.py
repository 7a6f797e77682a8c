"""Exports produced in the background, kept privately until downloaded."""

from django.db import models  # noqa: F401
