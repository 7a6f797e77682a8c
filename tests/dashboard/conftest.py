import pytest

from tests.factories import ProgrammeTeamFactory


@pytest.fixture
def team(client):
    """A programme-team member, signed in on `client`."""
    member = ProgrammeTeamFactory()
    client.force_login(member)
    return member
