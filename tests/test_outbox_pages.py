"""The programme team's outbox pages: the list, its filters and pages, one message, sending again,
and who may open them. No page ever shows a message's body."""

import datetime
import re
from urllib.parse import quote

import pytest
from django.core import mail
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from connecting.models import OutboxMessage, OutboxStatus
from connecting.outbox_selectors import (
    outbox_message_get_for_user,
    outbox_message_list,
    outbox_status_counts,
)
from tests.factories import (
    OutboxMessageFactory,
    ParticipantFactory,
    PartnerMembershipFactory,
    ProgrammeTeamFactory,
)

pytestmark = pytest.mark.django_db
S = OutboxStatus
LIST = reverse("outbox:list")
SECRET_BODY = "Your sign-in code is 715 302"


def _detail(message) -> str:
    return reverse("outbox:detail", args=[message.pk])


def _retry(message) -> str:
    return reverse("outbox:retry", args=[message.pk])


@pytest.fixture
def team(client):
    member = ProgrammeTeamFactory()
    client.force_login(member)
    return member


def _at(minutes_ago: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=minutes_ago)


def _ids(response) -> list[int]:
    return [message.pk for message in response.context["page"].object_list]


def _counts(response) -> list[tuple[str, int]]:
    return [(str(link["label"]), link["count"]) for link in response.context["status_links"]]


def _failed(**fields):
    defaults = {
        "status": S.FAILED,
        "attempts": 10,
        "last_error": "SMTPServerDisconnected: Connection unexpectedly closed",
        "to": ["aisha@dhsc.gov.uk"],
    }
    return OutboxMessageFactory(**{**defaults, **fields})


def _banner(response) -> str:
    match = re.search(
        r'class="govuk-notification-banner__heading">(.*?)</p>', response.content.decode(), re.S
    )
    return match.group(1).strip() if match else ""


# --- The list --------------------------------------------------------------------------------------


def test_list_shows_messages_newest_first(client, team):
    old = OutboxMessageFactory(created_at=_at(30))
    new = OutboxMessageFactory(created_at=_at(1))
    middle = OutboxMessageFactory(created_at=_at(10))

    response = client.get(LIST)

    assert response.status_code == 200
    assert _ids(response) == [new.pk, middle.pk, old.pk]


def test_list_row_shows_each_column_with_london_time(client, team):
    OutboxMessageFactory(
        created_at=datetime.datetime(2026, 7, 1, 8, 30, tzinfo=datetime.UTC),
        to=["aisha@dhsc.gov.uk", "manager@dhsc.gov.uk"],
        subject="Connecting: your visit is confirmed",
        kind="booking_confirmed",
        status=S.RETRYING,
        attempts=3,
        last_error="SMTPDataError: " + "x" * 200,
        possible_duplicate=True,
    )

    response = client.get(LIST)

    html = response.content.decode()
    row = html[html.index('<tbody class="govuk-table__body">') : html.index("</tbody>")]
    cells = [re.sub(r"<[^>]+>", " ", cell).split() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells == [
        ["1", "Jul", "2026", "09:30"],
        ["aisha@dhsc.gov.uk,", "manager@dhsc.gov.uk"],
        ["Connecting:", "your", "visit", "is", "confirmed"],
        ["booking_confirmed"],
        ["Retrying", "Possible", "duplicate"],
        ["3"],
        ["SMTPDataError:", "x" * 64 + "…"],
    ]
    assert '<strong class="govuk-tag govuk-tag--yellow">Retrying</strong>' in row


def test_list_table_has_the_full_width_and_long_cells_may_break(client, team):
    """With the filters in a side column the table was wider than its box at 1280 px: status,
    attempts and last error sat behind a sideways scroll. The filters are a row above the table
    now, the table has the page's width, and addresses, subjects and errors may break."""
    _failed(to=["someone.with.a.long.name@a-long-partner-organisation.example.org"])

    html = client.get(LIST).content.decode()

    assert "govuk-grid-column-one-quarter" not in html
    assert "govuk-grid-column-three-quarters" not in html
    assert html.index('<form method="get"') < html.index('class="app-table-scroll"')
    assert '<div class="govuk-grid-column-full">' in html
    assert len(re.findall(r'<td class="govuk-table__cell app-table__cell--break-anywhere">', html)) == 3
    assert 'class="govuk-table__header govuk-!-width-one-quarter">To</th>' in html


def test_stylesheet_lets_marked_cells_break_anywhere_from_desktop_width():
    from pathlib import Path

    scss = (Path(__file__).resolve().parent.parent / "static/scss/application.scss").read_text()
    rule = re.search(r"\.app-table__cell--break-anywhere \{(.*?)\n\}", scss, re.S)

    assert rule, "the stylesheet has no rule for .app-table__cell--break-anywhere"
    assert "$from: desktop" in rule.group(1)
    assert "overflow-wrap: anywhere" in rule.group(1)


@pytest.mark.parametrize(
    ("status", "tag"),
    [
        (S.PENDING, '<strong class="govuk-tag govuk-tag--blue">Waiting</strong>'),
        (S.SENDING, '<strong class="govuk-tag govuk-tag--light-blue">Sending</strong>'),
        (S.RETRYING, '<strong class="govuk-tag govuk-tag--yellow">Retrying</strong>'),
        (S.SENT, '<strong class="govuk-tag govuk-tag--green">Sent</strong>'),
        (S.FAILED, '<strong class="govuk-tag govuk-tag--red">Failed</strong>'),
        (S.SKIPPED, '<strong class="govuk-tag govuk-tag--grey">Not sent</strong>'),
    ],
)
def test_list_status_tag_has_its_govuk_colour(client, team, status, tag):
    OutboxMessageFactory(status=status)

    assert tag in client.get(LIST).content.decode()


def test_list_counts_each_status_at_the_top(client, team):
    for status, number in ((S.PENDING, 2), (S.SENDING, 1), (S.SENT, 4), (S.FAILED, 1), (S.SKIPPED, 3)):
        OutboxMessageFactory.create_batch(number, status=status)

    response = client.get(LIST)

    assert _counts(response) == [
        ("All", 11),
        ("Waiting", 2),
        ("Sending", 1),
        ("Retrying", 0),
        ("Sent", 4),
        ("Failed", 1),
        ("Not sent", 3),
    ]


def test_list_status_counts_are_one_query(team):
    OutboxMessageFactory(status=S.SENT)
    with CaptureQueriesContext(connection) as captured:
        counts = outbox_status_counts()

    assert len(captured) == 1
    assert counts == {
        "all": 1,
        "pending": 0,
        "sending": 0,
        "retrying": 0,
        "sent": 1,
        "failed": 0,
        "skipped": 0,
    }


def test_list_filters_by_status(client, team):
    waiting = OutboxMessageFactory(status=S.PENDING, created_at=_at(5))
    failed = _failed(created_at=_at(4))
    retrying = OutboxMessageFactory(status=S.RETRYING, created_at=_at(3))
    sent = OutboxMessageFactory(status=S.SENT, created_at=_at(2))
    skipped = OutboxMessageFactory(status=S.SKIPPED, created_at=_at(1))

    assert _ids(client.get(LIST, {"status": "pending"})) == [waiting.pk]
    assert _ids(client.get(LIST, {"status": "failed"})) == [failed.pk]
    assert _ids(client.get(LIST, {"status": "retrying"})) == [retrying.pk]
    assert _ids(client.get(LIST, {"status": "sent"})) == [sent.pk]
    assert _ids(client.get(LIST, {"status": "skipped"})) == [skipped.pk]
    assert _ids(client.get(LIST, {"status": ""})) == [skipped.pk, sent.pk, retrying.pk, failed.pk, waiting.pk]


def test_list_filters_by_kind_and_search_and_counts_follow_them(client, team):
    digest = OutboxMessageFactory(kind="weekly_digest", subject="Connecting: this week", created_at=_at(3))
    reminder = OutboxMessageFactory(
        kind="visit_reminder", to=["ada@dhsc.gov.uk"], status=S.SENT, created_at=_at(2)
    )
    other_reminder = OutboxMessageFactory(kind="visit_reminder", to=["bob@dhsc.gov.uk"], created_at=_at(1))

    by_kind = client.get(LIST, {"kind": "visit_reminder"})
    assert _ids(by_kind) == [other_reminder.pk, reminder.pk]
    assert _counts(by_kind)[:5] == [("All", 2), ("Waiting", 1), ("Sending", 0), ("Retrying", 0), ("Sent", 1)]
    assert _ids(client.get(LIST, {"search": "ADA@dhsc"})) == [reminder.pk]
    assert _ids(client.get(LIST, {"search": "this week"})) == [digest.pk]
    assert _ids(client.get(LIST, {"kind": "visit_reminder", "search": "bob"})) == [other_reminder.pk]
    assert [choice[0] for choice in by_kind.context["form"].fields["kind"].choices] == [
        "",
        "visit_reminder",
        "weekly_digest",
    ]


def test_list_status_links_keep_the_other_filters(client, team):
    OutboxMessageFactory(kind="visit_reminder")

    response = client.get(LIST, {"kind": "visit_reminder", "status": "sent"})

    assert [(link["href"], link["current"]) for link in response.context["status_links"]] == [
        (f"{LIST}?kind=visit_reminder", False),
        (f"{LIST}?status=pending&kind=visit_reminder", False),
        (f"{LIST}?status=sending&kind=visit_reminder", False),
        (f"{LIST}?status=retrying&kind=visit_reminder", False),
        (f"{LIST}?status=sent&kind=visit_reminder", True),
        (f"{LIST}?status=failed&kind=visit_reminder", False),
        (f"{LIST}?status=skipped&kind=visit_reminder", False),
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "bogus"}, "status"),
        ({"kind": "no_such_kind"}, "kind"),
        ({"search": "a\x00b"}, "search"),
        ({"search": "x" * 201}, "search"),
    ],
)
def test_list_shows_a_bad_filter_as_an_error_and_ignores_it(client, team, params, field):
    message = OutboxMessageFactory()

    response = client.get(LIST, params)

    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert _ids(response) == [message.pk]
    assert 'class="govuk-error-summary"' in response.content.decode()


def test_list_pages_hold_50_and_keep_the_filters_in_their_links(client, team):
    messages = [OutboxMessageFactory(status=S.SENT, created_at=_at(n)) for n in range(51)]
    OutboxMessageFactory(status=S.PENDING)

    first = client.get(LIST, {"status": "sent"})
    second = client.get(LIST, {"status": "sent", "page": 2})

    assert _ids(first) == [m.pk for m in messages[:50]]
    assert _ids(second) == [messages[50].pk]
    assert 'href="?status=sent&amp;page=2"' in first.content.decode()
    assert 'class="govuk-pagination"' in first.content.decode()


@pytest.mark.parametrize(("page", "expected_page"), [("abc", 1), ("99999", 2), ("-1", 2), ("0", 2)])
def test_list_tampered_page_answers_a_real_page(client, team, page, expected_page):
    messages = [OutboxMessageFactory(created_at=_at(n)) for n in range(51)]

    response = client.get(LIST, {"page": page})

    assert response.status_code == 200
    assert response.context["page"].number == expected_page
    assert _ids(response) == [m.pk for m in (messages[:50] if expected_page == 1 else messages[50:])]


def test_list_query_count_does_not_grow_with_rows(client, team):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST).status_code == 200
        return len(captured)

    OutboxMessageFactory(recipient=ParticipantFactory())
    one = queries()
    OutboxMessageFactory(recipient=ParticipantFactory(), status=S.SENT, kind="other")
    _failed(recipient=ParticipantFactory())

    assert queries() == one


def test_list_never_loads_or_shows_a_body(client, team):
    OutboxMessageFactory(body_text=SECRET_BODY, body_html=f"<p>{SECRET_BODY}</p>")

    response = client.get(LIST)

    assert SECRET_BODY not in response.content.decode()
    assert response.context["page"].object_list[0].get_deferred_fields() >= {"body_text", "body_html"}


def test_navigation_offers_the_outbox_to_the_programme_team(client, team):
    html = client.get(LIST).content.decode()

    assert f'<a class="govuk-service-navigation__link" href="{LIST}" aria-current="page">' in html


# --- One message ------------------------------------------------------------------------------------


def test_detail_shows_metadata_recipients_attempts_timestamps_and_error(client, team):
    person = ParticipantFactory(full_name="Aisha Khan")
    message = _failed(
        to=["aisha@dhsc.gov.uk", "line.manager@dhsc.gov.uk"],
        recipient=person,
        kind="visit_reminder",
        essential=False,
        subject="Connecting: your visit is tomorrow",
        idempotency_key="visit-reminder:42:2026-07-01",
        created_at=datetime.datetime(2026, 7, 1, 8, 30, tzinfo=datetime.UTC),
        claimed_at=datetime.datetime(2026, 7, 1, 8, 31, 5, tzinfo=datetime.UTC),
        enqueued_at=datetime.datetime(2026, 7, 1, 8, 30, 1, tzinfo=datetime.UTC),
    )

    response = client.get(_detail(message))

    assert response.status_code == 200
    html = response.content.decode()
    rows = re.findall(
        r'<dt class="govuk-summary-list__key">(.*?)</dt><dd class="govuk-summary-list__value[^"]*">(.*?)</dd>',
        html,
        re.S,
    )
    assert [(key, " ".join(re.sub(r"<[^>]+>", " ", value).split())) for key, value in rows] == [
        ("To", "aisha@dhsc.gov.uk line.manager@dhsc.gov.uk"),
        ("Account", "Aisha Khan"),
        ("Kind", "visit_reminder"),
        ("Essential", "No: a reminder or digest"),
        ("Reference", "visit-reminder:42:2026-07-01"),
        ("Attempts", "10"),
        ("Created", "1 Jul 2026 09:30:00"),
        ("Handed to a worker", "1 Jul 2026 09:30:01"),
        ("Last attempt started", "1 Jul 2026 09:31:05"),
        ("Sent", "Not yet"),
        ("Last error", "SMTPServerDisconnected: Connection unexpectedly closed"),
    ]
    assert '<strong class="govuk-tag govuk-tag--red">Failed</strong>' in html
    assert f'<form method="post" action="{_retry(message)}" novalidate>' in html
    assert html.count('name="csrfmiddlewaretoken"') == 1


@pytest.mark.parametrize("status", [S.PENDING, S.SENDING, S.SENT, S.SKIPPED])
def test_detail_offers_send_again_only_for_failed_or_retrying(client, team, status):
    message = OutboxMessageFactory(status=status)
    retrying = OutboxMessageFactory(status=S.RETRYING)

    assert "Send again" not in client.get(_detail(message)).content.decode()
    assert "Send again" in client.get(_detail(retrying)).content.decode()


def test_detail_never_shows_the_body(client, team):
    message = _failed(body_text=SECRET_BODY, body_html=f"<p>{SECRET_BODY}</p>")

    response = client.get(_detail(message))

    assert SECRET_BODY not in response.content.decode()
    assert response.context["message"].get_deferred_fields() >= {"body_text", "body_html"}


def test_detail_of_a_message_that_does_not_exist_is_404(client, team):
    assert client.get(reverse("outbox:detail", args=[999999])).status_code == 404


def test_get_for_user_is_404_for_anyone_not_on_the_programme_team(team):
    message = OutboxMessageFactory()

    assert outbox_message_get_for_user(message_id=message.pk, user=team) == message
    for outsider in (ParticipantFactory(), PartnerMembershipFactory().user):
        with pytest.raises(Http404):
            outbox_message_get_for_user(message_id=message.pk, user=outsider)


def test_message_list_selector_narrows_by_every_filter(db):
    wanted = OutboxMessageFactory(status=S.FAILED, kind="digest", subject="Connecting: weekly digest")
    OutboxMessageFactory(status=S.FAILED, kind="digest", subject="Connecting: another")
    OutboxMessageFactory(status=S.SENT, kind="digest", subject="Connecting: weekly digest")
    OutboxMessageFactory(status=S.FAILED, kind="reminder", subject="Connecting: weekly digest")

    assert list(outbox_message_list(status=S.FAILED, kind="digest", search="weekly")) == [wanted]


# --- Sending again ---------------------------------------------------------------------------------


def test_retry_puts_a_failed_message_back_to_waiting(client, team, django_capture_on_commit_callbacks):
    message = _failed()

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(_retry(message))

    assert response["Location"] == _detail(message)
    message.refresh_from_db()
    assert (message.status, len(callbacks)) == (S.PENDING, 1)


def test_retry_sends_a_failed_message_again(client, team, django_capture_on_commit_callbacks):
    message = _failed(to=["aisha@dhsc.gov.uk"], subject="Connecting: your visit is confirmed")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_retry(message), follow=True)

    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (S.SENT, 11, "")
    assert [(email.to, email.subject) for email in mail.outbox] == [
        (["aisha@dhsc.gov.uk"], "Connecting: your visit is confirmed")
    ]
    assert _banner(response) == "The message will be sent again."
    assert response.redirect_chain == [(_detail(message), 302)]


def test_retry_is_refused_for_a_sent_message(client, team, django_capture_on_commit_callbacks):
    message = OutboxMessageFactory(status=S.SENT, attempts=1)
    before = OutboxMessage.objects.filter(pk=message.pk).values().get()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(_retry(message), follow=True)

    assert OutboxMessage.objects.filter(pk=message.pk).values().get() == before
    assert (callbacks, mail.outbox) == ([], [])
    assert _banner(response) == "This message is sent, so it cannot be retried."
    assert response.redirect_chain == [(_detail(message), 302)]


def test_retry_answers_get_with_405(client, team):
    message = _failed()

    response = client.get(_retry(message))

    assert (response.status_code, response["Allow"]) == (405, "POST")
    message.refresh_from_db()
    assert message.status == S.FAILED


# --- Who may open the outbox ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["participant", "partner contact"])
def test_outbox_pages_are_forbidden_to_anyone_not_on_the_programme_team(client, who):
    message = _failed()
    user = ParticipantFactory() if who == "participant" else PartnerMembershipFactory().user
    client.force_login(user)

    answers = [
        client.get(LIST).status_code,
        client.get(_detail(message)).status_code,
        client.post(_retry(message)).status_code,
        client.get(_retry(message)).status_code,
    ]

    assert answers == [403, 403, 403, 403]
    message.refresh_from_db()
    assert message.status == S.FAILED


def test_outbox_sends_anonymous_visitors_to_sign_in(client):
    message = _failed()

    for url in (LIST, _detail(message)):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (
            302,
            f"{reverse('account_login')}?next={quote(url)}",
        )
