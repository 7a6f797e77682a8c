import pytest

from tests.factories import ParticipantFactory


@pytest.mark.django_db
def test_get_on_a_post_only_address_gets_a_govuk_page(client):
    client.force_login(ParticipantFactory())

    response = client.get("/calendar/reset/")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert '<h1 class="govuk-heading-l">This page cannot be opened directly</h1>' in response.content.decode()
