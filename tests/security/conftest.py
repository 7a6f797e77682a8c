"""The permission matrix's world, built once per module inside a transaction rolled back at the end;
each test runs in a savepoint of it (pytest-django's `db`), so one test's writes never reach the next."""

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings

from tests.security.world import build_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    from connecting.celery import app

    # Briefing packs and exports are written to a private folder of this run, not the checkout's.
    private = tmp_path_factory.mktemp("private")
    storages = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(private), "base_url": None},
        },
    }
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True  # nothing built here may reach a real broker
    try:
        with (
            django_db_blocker.unblock(),
            override_settings(
                PRIVATE_MEDIA_ROOT=private,
                STORAGES=storages,
                PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                SITE_URL="http://testserver",
            ),
            transaction.atomic(),
        ):
            built = build_world()
            yield built
            transaction.set_rollback(True)
    finally:
        app.conf.task_always_eager = eager
