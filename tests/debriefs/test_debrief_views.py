"""The debrief page, driven through the real services: the author writes, the team reads, a
partner never sees the text."""

import re
from urllib.parse import quote

import pytest
from django.urls import reverse

from debriefs.models import Debrief, DebriefStatus
from debriefs.services.debriefs import (
    MAX_ACTIONS,
    debrief_assign,
    debrief_request_changes,
    debrief_start_review,
    policy_action_create,
)
from placements.models import BookingStatus
from tests.factories import (
    BookingFactory,
    DebriefFactory,
    ParticipantFactory,
    PartnerMembershipFactory,
    PastVisitFactory,
    ProgrammeTeamFactory,
    SlotFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db

LEARNT = "Most delays start with waiting for a care package, not with the ward."


def _url(booking) -> str:
    return reverse("debriefs:debrief", args=[booking.pk])


def _data(action="draft", actions=(), total=None, **fields) -> dict:
    """A posted debrief: the answers, the button pressed and the actions formset."""
    data = {
        "action": action,
        "actions-TOTAL_FORMS": str(total if total is not None else max(len(actions), 2)),
    }
    data["actions-INITIAL_FORMS"] = "0"
    for index, (description, owner, day, month, year) in enumerate(actions):
        data.update(
            {
                f"actions-{index}-description": description,
                f"actions-{index}-owner": owner,
                f"actions-{index}-due_on_0": day,
                f"actions-{index}-due_on_1": month,
                f"actions-{index}-due_on_2": year,
            }
        )
    data.update(fields)
    return data


def _complete(**fields) -> dict:
    return {"what_i_learnt": LEARNT, "usefulness": "4", "consent": "anonymised", **fields}


def _summary(response) -> list[str]:
    return [message for _anchor, message in response.context["error_items"]]


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _history(html: str) -> list[list[str]]:
    table = html[html.index("Review history") :]
    body = table[table.index("<tbody") : table.index("</tbody>")]
    return [
        [_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


# --- Writing it -------------------------------------------------------------------------------------


def test_debrief_page_offers_the_form_with_two_empty_action_rows(client):
    booking = PastVisitFactory()
    client.force_login(booking.participant)

    response = client.get(_url(booking))

    html = response.content.decode()
    assert response.status_code == 200
    assert len(response.context["formset"].forms) == 2
    assert re.findall(r'<button[^>]*name="action"[^>]*value="(\w+)"', html) == ["submit", "draft"]
    # One form on the page, one CSRF token in it.
    assert html.count('name="csrfmiddlewaretoken"') == 1
    assert 'name="personal_data_confirmed"' not in html


def test_debrief_page_shows_existing_actions_plus_two_rows_never_more_than_the_maximum(client):
    debrief = DebriefFactory()
    for number in range(MAX_ACTIONS - 1):
        debrief.actions.create(description=f"Action {number}", owner="Me", due_on="2027-03-27")
    client.force_login(debrief.booking.participant)

    response = client.get(_url(debrief.booking))

    formset = response.context["formset"]
    assert (len(formset.forms), formset.forms[0].initial["description"]) == (MAX_ACTIONS, "Action 0")


def test_debrief_page_saves_a_draft(client):
    booking = PastVisitFactory()
    client.force_login(booking.participant)

    response = client.post(_url(booking), _data(what_i_saw="The morning huddle."), follow=True)

    debrief = Debrief.objects.get()
    assert (debrief.status, debrief.what_i_saw, debrief.what_i_learnt) == ("draft", "The morning huddle.", "")
    assert response.redirect_chain == [(_url(booking), 302)]
    assert _messages(response) == [("success", "Your debrief has been saved as a draft.")]


def test_debrief_page_submits_with_actions_themes_and_normalised_tags(client):
    booking = PastVisitFactory(status=BookingStatus.ATTENDED)
    flow, frailty = ThemeFactory(name="Patient flow"), ThemeFactory(name="Frailty")
    client.force_login(booking.participant)

    response = client.post(
        _url(booking),
        _data(
            "submit",
            actions=[("Brief my team", "Me", "27", "3", "2027"), ("", "", "", "", "")],
            themes=[str(flow.pk), str(frailty.pk)],
            tags=" Care  Packages, care packages ,Weekend,, ",
            **_complete(),
        ),
    )

    debrief = Debrief.objects.get()
    assert response.status_code == 302
    assert _messages(client.get(_url(booking))) == [
        ("success", "Your debrief has been submitted for review.")
    ]
    assert (debrief.status, debrief.usefulness, debrief.consent, debrief.tags) == (
        DebriefStatus.SUBMITTED,
        4,
        "anonymised",
        ["care packages", "weekend"],
    )
    assert sorted(debrief.themes.values_list("name", flat=True)) == ["Frailty", "Patient flow"]
    assert [(a.description, a.owner, a.due_on.isoformat()) for a in debrief.actions.all()] == [
        ("Brief my team", "Me", "2027-03-27")
    ]


def test_debrief_page_submit_without_the_required_answers_names_each_and_saves_nothing(client):
    booking = PastVisitFactory()
    client.force_login(booking.participant)

    response = client.post(_url(booking), _data("submit", what_i_saw="A ward round."))

    assert response.status_code == 400
    assert _summary(response) == [
        "Enter what you learnt",
        "Select how useful the visit was",
        "Select who may see your debrief",
    ]
    assert response.context["form"]["what_i_saw"].value() == "A ward round."
    assert Debrief.objects.count() == 0


def test_debrief_page_draft_needs_none_of_the_answers_required_to_submit(client):
    booking = PastVisitFactory()
    client.force_login(booking.participant)

    response = client.post(_url(booking), _data())

    assert (response.status_code, Debrief.objects.get().status) == (302, "draft")


def test_debrief_page_personal_data_warning_round_trip(client):
    booking = PastVisitFactory()
    client.force_login(booking.participant)
    data = _data(
        "submit",
        actions=[("E-mail jo.bloggs@example.com", "Me", "27", "3", "2027")],
        **_complete(what_i_learnt="Ring Mrs Patel on 07911 123456 about her discharge."),
    )

    first = client.post(_url(booking), data)

    assert first.status_code == 400
    assert _summary(first) == [
        "What I learnt: a title followed by a name (Mrs Patel)",
        "What I learnt: a phone number (07911 123456)",
        "Action 1: an e-mail address (jo.bloggs@example.com)",
        "Remove the details, or confirm they are not details of a patient, service user or member of the public",
    ]
    html = first.content.decode()
    assert 'name="personal_data_confirmed"' in html
    assert "Ring Mrs Patel on 07911 123456 about her discharge.</textarea>" in html
    assert Debrief.objects.count() == 0

    second = client.post(_url(booking), {**data, "personal_data_confirmed": "on"})

    debrief = Debrief.objects.get()
    assert second.status_code == 302
    assert (debrief.status, debrief.personal_data_confirmed, debrief.what_i_learnt) == (
        DebriefStatus.SUBMITTED,
        True,
        "Ring Mrs Patel on 07911 123456 about her discharge.",
    )


@pytest.mark.parametrize(
    ("row", "errors"),
    [
        (
            ("Brief my team", "", "", "", ""),
            ["Action 2: Enter who owns the action", "Action 2: Enter the due date"],
        ),
        (("", "Me", "27", "3", "2027"), ["Action 2: Enter the action"]),
        (("Brief my team", "Me", "31", "2", "2027"), ["Action 2: The due date must be a real date"]),
        (("Brief my team", "Me", "31", "", "2027"), ["Action 2: The due date must include a month"]),
    ],
)
def test_debrief_page_a_partly_filled_action_row_is_an_error_on_that_row(client, row, errors):
    booking = PastVisitFactory()
    client.force_login(booking.participant)

    response = client.post(_url(booking), _data(actions=[("", "", "", "", ""), row]))

    formset = response.context["formset"]
    assert response.status_code == 400
    assert _summary(response) == errors
    assert (formset.forms[0].errors, bool(formset.forms[1].errors)) == ({}, True)
    assert Debrief.objects.count() == 0


def test_debrief_page_more_than_the_maximum_of_actions_is_refused(client):
    booking = PastVisitFactory()
    client.force_login(booking.participant)
    rows = [(f"Action {n}", "Me", "27", "3", "2027") for n in range(MAX_ACTIONS + 1)]

    response = client.post(_url(booking), _data(actions=rows))

    assert response.status_code == 400
    assert _summary(response) == ["List at most 10 actions"]
    assert Debrief.objects.count() == 0


def test_debrief_page_a_tampered_actions_list_is_an_error_not_a_crash(client):
    booking = PastVisitFactory()
    client.force_login(booking.participant)

    response = client.post(_url(booking), {"action": "draft", "actions-TOTAL_FORMS": "lots"})

    assert response.status_code == 400
    assert _summary(response) == ["The list of actions was incomplete: enter your actions again"]
    assert Debrief.objects.count() == 0


def test_debrief_page_hostile_input_gets_field_errors_and_saves_nothing(client):
    booking = PastVisitFactory()
    client.force_login(booking.participant)

    response = client.post(
        _url(booking),
        _data(
            "submit",
            actions=[("a\x00b", "x" * 20_000, "<b>", "3", "2027")],
            what_i_saw="before\x00after",
            what_i_learnt="x" * 20_000,
            what_works="<script>alert(1)</script>",
            themes=["\x00"],
            tags="<b>bold</b>",
            usefulness="11",
            consent="<script>",
            personal_data_confirmed="\x00",
        ),
    )

    assert response.status_code == 400
    assert _summary(response) == [
        "What you saw must not include special characters",
        "What you learnt must be 5,000 characters or fewer",
        "What works must not include HTML or other code: remove the < and > around it",
        "Action 1: The action must not include special characters",
        "Action 1: The owner must be 150 characters or fewer",
        "Action 1: The due date must be a real date",
        "Select policy areas from the list",
        "The tags must not include HTML or other code: remove the < and > around it",
        "Select how useful the visit was",
        "Select who may see your debrief",
    ]
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert Debrief.objects.count() == 0


@pytest.mark.parametrize("theme", ["999999999", "abc", "1.5", "-1", "9" * 30, "\x00"])
def test_debrief_page_an_unknown_theme_is_a_field_error(client, theme):
    booking = PastVisitFactory()
    client.force_login(booking.participant)

    response = client.post(_url(booking), _data(themes=[str(ThemeFactory().pk), theme]))

    assert (response.status_code, _summary(response)) == (400, ["Select policy areas from the list"])


def test_debrief_page_too_many_tags_is_the_services_field_error(client):
    booking = PastVisitFactory()
    client.force_login(booking.participant)

    response = client.post(_url(booking), _data(tags=",".join(f"tag {n}" for n in range(11))))

    assert (response.status_code, _summary(response)) == (400, ["Enter at most 10 tags"])
    assert Debrief.objects.count() == 0


# --- When it may be written ---------------------------------------------------------------------------


def test_debrief_page_before_the_visit_day_is_refused(client):
    booking = BookingFactory(status=BookingStatus.CONFIRMED, slot=SlotFactory(days_ahead=2))
    client.force_login(booking.participant)

    shown = client.get(_url(booking), follow=True)
    posted = client.post(_url(booking), _data("submit", what_i_saw="Early."))

    refusal = f"You can write your debrief from the day of your visit, {booking.slot.starts_at:%-d %B %Y}."
    assert shown.redirect_chain == [(reverse("bookings:detail", args=[booking.pk]), 302)]
    assert _messages(shown) == [("info", refusal)]
    # Said first, above the answers a submission would also need.
    assert (posted.status_code, _summary(posted)) == (
        400,
        [
            refusal,
            "Enter what you learnt",
            "Select how useful the visit was",
            "Select who may see your debrief",
        ],
    )
    assert Debrief.objects.count() == 0


@pytest.mark.parametrize("status", ["cancelled", "declined", "no_show", "waitlisted"])
def test_debrief_page_for_a_booking_that_is_not_a_visit_is_refused(client, status):
    booking = PastVisitFactory(status=status)
    client.force_login(booking.participant)

    shown = client.get(_url(booking), follow=True)
    posted = client.post(_url(booking), _data(what_i_saw="A ward round."))

    expected = f"There is no debrief for this booking: it is {booking.get_status_display().lower()}."
    assert _messages(shown) == [("info", expected)]
    assert (posted.status_code, _summary(posted)) == (400, [expected])
    assert Debrief.objects.count() == 0


def test_debrief_page_of_another_participants_booking_is_not_found(client):
    booking = PastVisitFactory()
    client.force_login(ParticipantFactory())

    assert client.get(_url(booking)).status_code == 404
    assert client.post(_url(booking), _data(what_i_saw="Mine now.")).status_code == 404
    assert Debrief.objects.count() == 0


def test_debrief_page_sends_anonymous_visitors_to_sign_in(client):
    booking = PastVisitFactory()

    response = client.get(_url(booking))

    assert (response.status_code, response["Location"]) == (
        302,
        f"{reverse('account_login')}?next={quote(_url(booking))}",
    )


def test_debrief_page_edits_are_refused_once_review_has_started(client):
    debrief = DebriefFactory(status=DebriefStatus.SUBMITTED, consent="named")
    debrief_start_review(debrief=debrief, by=ProgrammeTeamFactory())
    client.force_login(debrief.booking.participant)

    posted = client.post(
        _url(debrief.booking), _data("submit", **_complete(what_i_learnt="Changed.")), follow=True
    )

    assert posted.redirect_chain == [(_url(debrief.booking), 302)]
    assert _messages(posted) == [("error", "Your debrief is in review, so it can no longer be changed.")]
    assert posted.templates[0].name == "debriefs/debrief_detail.html"
    assert "Your debrief is in review, so it can no longer be changed." in _text(posted.content.decode())
    assert Debrief.objects.get().what_i_learnt == LEARNT


def test_debrief_page_shows_the_author_the_reviewers_comment_and_history(client):
    debrief = DebriefFactory(status=DebriefStatus.SUBMITTED, consent="named")
    reviewer = ProgrammeTeamFactory(full_name="Rita Reviewer")
    debrief_assign(debrief=debrief, by=reviewer, reviewer=reviewer)
    debrief_start_review(debrief=debrief, by=reviewer)
    policy_action_create(
        debrief=debrief, by=reviewer, description="Ask about weekend panels.", owner=reviewer
    )
    debrief_request_changes(debrief=debrief, by=reviewer, comment="Say which ward you visited.")
    client.force_login(debrief.booking.participant)

    response = client.get(_url(debrief.booking))

    html = response.content.decode()
    assert response.status_code == 200
    # The latest request for changes comes first on the page, above the form.
    assert html.index("Say which ward you visited.") < html.index("<form")
    assert [row[1:] for row in _history(html)] == [
        ["Rita Reviewer", "Review started", ""],
        ["Rita Reviewer", "Changes requested", "Say which ward you visited."],
    ]
    assert "Ask about weekend panels." not in html
    # Asked for changes, the author may edit again.
    assert response.context["form"]["what_i_learnt"].value() == LEARNT


# --- Who may read it ------------------------------------------------------------------------------------


def test_debrief_page_is_forbidden_to_the_hosts_contacts(client):
    debrief = DebriefFactory(status=DebriefStatus.SUBMITTED, consent="named")
    contact = PartnerMembershipFactory(partner=debrief.booking.slot.opportunity.partner).user
    client.force_login(contact)

    # The contact may see the booking, so this is 403, not 404: and never the text.
    assert client.get(reverse("bookings:detail", args=[debrief.booking.pk])).status_code == 200
    shown = client.get(_url(debrief.booking))
    posted = client.post(_url(debrief.booking), _data(what_i_learnt="A partner's words."))

    assert (shown.status_code, posted.status_code) == (403, 403)
    assert LEARNT not in shown.content.decode()
    assert Debrief.objects.get().what_i_learnt == LEARNT


def test_debrief_page_is_not_found_for_another_partners_contacts(client):
    debrief = DebriefFactory()
    client.force_login(PartnerMembershipFactory().user)

    assert client.get(_url(debrief.booking)).status_code == 404


def test_debrief_page_shows_the_programme_team_the_debrief_read_only(client):
    debrief = DebriefFactory(status=DebriefStatus.SUBMITTED, consent="named", tags=["discharge"])
    reviewer = ProgrammeTeamFactory(full_name="Rita Reviewer")
    debrief_assign(debrief=debrief, by=reviewer, reviewer=reviewer)
    client.force_login(ProgrammeTeamFactory())

    shown = client.get(_url(debrief.booking))
    posted = client.post(_url(debrief.booking), _data(what_i_learnt="The team's words."))

    text = _text(shown.content.decode())
    assert (shown.status_code, posted.status_code) == (200, 403)
    assert shown.templates[0].name == "debriefs/debrief_detail.html"
    assert LEARNT in text and "Tags discharge" in text
    # The team sees its own steps too.
    assert [row[1:3] for row in _history(shown.content.decode())] == [["Rita Reviewer", "Reviewer assigned"]]
    assert Debrief.objects.get().what_i_learnt == LEARNT


def test_debrief_page_shows_the_team_that_there_is_no_debrief_yet(client):
    booking = PastVisitFactory()
    client.force_login(ProgrammeTeamFactory())

    response = client.get(_url(booking))

    assert response.status_code == 200
    assert "The participant has not started a debrief of this visit." in response.content.decode()


def test_debrief_page_saving_a_submitted_debrief_keeps_it_submitted(client):
    debrief = DebriefFactory(status=DebriefStatus.SUBMITTED, consent="named")
    client.force_login(debrief.booking.participant)

    shown = client.get(_url(debrief.booking))
    response = client.post(
        _url(debrief.booking), _data("submit", **_complete(what_i_learnt="Better words.")), follow=True
    )

    html = shown.content.decode()
    assert re.findall(r'<button[^>]*name="action"[^>]*value="(\w+)"[^>]*>([^<]*)<', html) == [
        ("submit", "Save changes")
    ]
    assert _messages(response) == [
        ("success", "Your changes have been saved. Your debrief is still waiting for review.")
    ]
    assert (Debrief.objects.get().status, Debrief.objects.get().what_i_learnt) == (
        "submitted",
        "Better words.",
    )


def test_debrief_page_draft_save_after_changes_were_requested_keeps_the_request_open(client):
    debrief = DebriefFactory(status=DebriefStatus.SUBMITTED, consent="named")
    team = ProgrammeTeamFactory()
    debrief_start_review(debrief=debrief, by=team)
    debrief_request_changes(debrief=debrief, by=team, comment="Say which ward.")
    client.force_login(debrief.booking.participant)

    response = client.post(
        _url(debrief.booking), _data("draft", **_complete(what_i_learnt="On ward 7.")), follow=True
    )

    assert _messages(response) == [
        ("success", "Your changes have been saved. Submit your debrief again when it is ready.")
    ]
    assert (Debrief.objects.get().status, Debrief.objects.get().what_i_learnt) == (
        "changes_requested",
        "On ward 7.",
    )
