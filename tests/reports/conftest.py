import pytest
from django.core.files.storage import storages

from tests.factories import ProgrammeTeamFactory


@pytest.fixture
def private_storage(settings, tmp_path):
    """The private storage, pointed at a fresh folder (changing STORAGES resets Django's storages)."""
    location = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": None, "file_permissions_mode": 0o600},
        },
    }
    return storages["private"]


@pytest.fixture
def team(client):
    member = ProgrammeTeamFactory(full_name="Rita Reviewer")
    client.force_login(member)
    return member
