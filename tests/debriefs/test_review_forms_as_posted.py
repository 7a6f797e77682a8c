"""The review page's forms posted as a browser posts them: every field, then the pressed button's
name and label. A button named like a field posted its label as that field ("Add comment" replaced
whatever the reviewer typed, and an empty comment was accepted and e-mailed)."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from debriefs.models import ReviewEvent
from tests.debriefs.review_support import handed_in
from tests.factories import ProgrammeTeamFactory

pytestmark = pytest.mark.django_db


class _Forms(HTMLParser):
    """Each form on the page by its action: its fields' names, and its submit buttons' (name, value)."""

    def __init__(self):
        super().__init__()
        self.forms: dict[str, dict] = {}
        self._current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._current = self.forms.setdefault(attrs.get("action", ""), {"fields": [], "buttons": []})
        elif self._current is not None and tag in ("input", "textarea", "select", "button"):
            name = attrs.get("name")
            if not name:
                return
            if attrs.get("type") == "submit" or tag == "button":
                self._current["buttons"].append((name, attrs.get("value", "")))
            else:
                self._current["fields"].append(name)

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def _forms(html: str) -> dict[str, dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


@pytest.fixture
def team(client):
    member = ProgrammeTeamFactory()
    client.force_login(member)
    return member


@pytest.mark.parametrize("status", ["submitted", "in_review", "approved", "published"])
def test_no_review_button_is_named_like_a_field_of_its_form(client, team, status):
    debrief = handed_in(status=status)

    forms = _forms(client.get(reverse("review:detail", args=[debrief.pk])).content.decode())

    assert forms
    clashes = {
        action: sorted({name for name, _value in form["buttons"]} & set(form["fields"]))
        for action, form in forms.items()
    }
    assert {action: names for action, names in clashes.items() if names} == {}


def _post_as_a_browser(client, debrief, typed: str):
    url = reverse("review:comment", args=[debrief.pk])
    form = _forms(client.get(reverse("review:detail", args=[debrief.pk])).content.decode())[url]
    data: dict[str, list[str]] = {}
    for name in form["fields"]:
        data.setdefault(name, []).append(typed if name == "comment" else "")
    data.pop("csrfmiddlewaretoken", None)
    name, value = form["buttons"][0]
    data.setdefault(name, []).append(value)
    return client.post(url, data)


def test_comment_posted_from_the_page_keeps_what_the_reviewer_typed(client, team):
    debrief = handed_in(status="in_review")

    response = _post_as_a_browser(client, debrief, "Could you add the rota figures?")

    assert response.status_code == 302
    comments = list(
        ReviewEvent.objects.filter(debrief=debrief, action="commented").values_list("comment", flat=True)
    )
    assert comments == ["Could you add the rota figures?"]


def test_empty_comment_posted_from_the_page_is_refused(client, team, mailoutbox):
    debrief = handed_in(status="in_review")

    response = _post_as_a_browser(client, debrief, "")

    assert response.status_code == 400
    assert "Enter your comment" in response.content.decode()
    assert not ReviewEvent.objects.filter(debrief=debrief, action="commented").exists()
    assert mailoutbox == []
