"""The journeys of issue 10, in order. Each starts from the state the one before leaves (built
in tests/e2e/scenes.py), so each can run and fail on its own. Every page visited with JavaScript
is checked with axe-core; screenshots go to $E2E_ARTIFACTS_DIR/<test name>/."""

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone
from playwright.sync_api import expect

from connecting.accounts.models import User
from debriefs.models import Debrief, DebriefStatus, PartnerFeedback, Preparation
from placements.models import PLACE_TAKING_STATUSES, Booking, BookingStatus, Opportunity, OpportunityStatus
from placements.services.bookings import booking_confirm, booking_request
from tests.e2e.scenes import enrol, move_visit_into_the_past, published_opportunity
from tests.factories import (
    TEST_PASSWORD,
    DebriefFactory,
    ParticipantFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
    totp_code_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]


def next_weekday(day: datetime.date, *, weekday: int) -> datetime.date:
    return day + datetime.timedelta(days=(weekday - day.weekday()) % 7)


def fill_date(page, name: str, day: datetime.date) -> None:
    page.locator(f"[name={name}_0]").fill(str(day.day))
    page.locator(f"[name={name}_1]").fill(str(day.month))
    page.locator(f"[name={name}_2]").fill(str(day.year))


def result_titles(page) -> list[str]:
    return sorted(page.locator("main h3 a").all_inner_texts())


def first_slot_label(slot) -> str:
    return format(timezone.localtime(slot.starts_at), "%A %-d %B %Y")


WHAT_I_LEARNT = "Most delays start with waiting for a care package, not on the ward."


def fill_debrief(page) -> None:
    page.get_by_label("What did you see?").fill("The discharge hub's morning huddle and a ward round.")
    page.get_by_label("What did you learn?").fill(WHAT_I_LEARNT)
    page.get_by_label("What works well? (optional)").fill("A daily huddle with social care in the room.")
    page.get_by_label("3 – Useful").check()
    page.get_by_label("Shareable without my name").check()


def confirmed_booking(scene, person, slot=None):
    """Journey 3's end: `person` enrolled, booked and confirmed by the partner."""
    enrol(person, scene.programme)
    booking = booking_request(slot=slot or scene.slots[0], participant=person, programme=scene.programme)
    return booking_confirm(booking=booking, by=scene.contact)


def dashboard_figures(portal, page) -> dict[str, str]:
    portal.visit(page, "/account/programme-team/")
    keys = page.locator("main .govuk-summary-list__key").all_inner_texts()
    values = page.locator("main .govuk-summary-list__value").all_inner_texts()
    return dict(zip(keys, [" ".join(v.split()) for v in values], strict=True))


def sign_in(portal, page, email, password=TEST_PASSWORD, *, totp_for=None):
    portal.visit(page, "/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if totp_for is not None:
        portal.check(page)
        page.get_by_label("Authenticator code").fill(totp_code_for(totp_for))
        page.get_by_role("button", name="Sign in").click()
    portal.check(page)


def test_journey_1_team_invites_a_partner_contact_who_publishes_an_opportunity(portal):
    team = ProgrammeTeamFactory(email="lead@dhsc.gov.uk")
    partner = PartnerFactory(name="Northbridge NHS Trust")
    ProgrammeFactory(name="Social care fellowship")

    team_page = portal.new_page()
    sign_in(portal, team_page, team.email, totp_for=team)
    portal.screenshot(team_page, "team-signed-in")
    portal.visit(team_page, f"/partners/{partner.pk}/")
    team_page.get_by_label("E-mail address").fill("alex.host@northbridge.nhs.example.org")
    team_page.get_by_label("Make them a partner admin").check()
    team_page.get_by_role("button", name="Send invitation").click()
    portal.check(team_page)
    portal.screenshot(team_page, "team-sent-invitation")

    invitation = portal.wait_for_mail(to="alex.host@northbridge.nhs.example.org", subject="invit")
    contact = portal.new_page()
    portal.visit(contact, invitation.link(r"/partners/invitations/"))
    contact.get_by_label("Full name").fill("Alex Host")
    contact.get_by_label("Job title").fill("Head of patient flow")
    contact.get_by_label("Create a password").fill("Northbridge-visits-2027")
    contact.get_by_label("Confirm your password").fill("Northbridge-visits-2027")
    contact.get_by_role("button", name="Create account and accept").click()
    portal.check(contact)
    portal.screenshot(contact, "contact-accepted")
    assert contact.url.endswith("/partners/dashboard/")

    portal.visit(contact, f"/partners/{partner.pk}/edit/")
    contact.get_by_label("Address line 1").fill("1 Infirmary Road")
    contact.get_by_label("Town or city").fill("Northbridge")
    contact.get_by_label("Postcode").fill("M13 9WL")
    contact.get_by_label("About the organisation (optional)").fill("An acute trust serving 400,000 people.")
    contact.get_by_role("button", name="Save profile").click()
    portal.check(contact)
    portal.screenshot(contact, "profile-saved")

    portal.visit(contact, "/opportunities/new/")
    contact.get_by_label("Title", exact=True).fill("A day in the discharge hub")
    contact.get_by_label("Summary").fill("See how the hospital gets people home safely.")
    contact.get_by_label("What the visitor will see and do").fill("Join the morning huddle and a ward round.")
    contact.get_by_label("A day", exact=True).check()
    contact.get_by_label("Social care fellowship").check()
    contact.get_by_label("Site address").fill("1 Infirmary Road, Northbridge")
    contact.get_by_label("Accessibility").fill("Step-free access throughout.")
    contact.get_by_label("No vetting needed").check()
    contact.get_by_label("Minimum notice in working days").fill("2")
    contact.get_by_label("Host name").fill("Alex Host")
    contact.get_by_label("Host e-mail address").fill("alex.host@northbridge.nhs.example.org")
    contact.get_by_role("button", name="Save opportunity").click()
    portal.check(contact)
    portal.screenshot(contact, "opportunity-saved")
    opportunity = Opportunity.objects.get(title="A day in the discharge hub")
    assert (opportunity.partner, opportunity.status) == (partner, OpportunityStatus.DRAFT)

    contact.get_by_role("link", name="Add a weekly series").click()
    portal.check(contact)
    first = next_weekday(timezone.localdate() + datetime.timedelta(days=21), weekday=2)
    fill_date(contact, "first_day", first)
    contact.get_by_label("Number of weeks").fill("4")
    contact.get_by_label("Start time").fill("9:30")
    contact.get_by_label("End time").fill("16:30")
    contact.get_by_label("Places").fill("2")
    contact.get_by_role("button", name="Add the series").click()
    portal.check(contact)
    contact.get_by_role("button", name="Publish").click()
    portal.check(contact)
    portal.screenshot(contact, "opportunity-published")

    opportunity.refresh_from_db()
    starts = [timezone.localtime(slot.starts_at) for slot in opportunity.slots.order_by("starts_at")]
    assert opportunity.status == OpportunityStatus.PUBLISHED
    assert [(s.date(), s.time()) for s in starts] == [
        (first + datetime.timedelta(weeks=n), datetime.time(9, 30)) for n in range(4)
    ]
    partner.refresh_from_db()
    assert (partner.town, partner.postcode) == ("Northbridge", "M13 9WL")
    portal.accessibility.assert_clean()


def test_journey_2_participant_signs_up_finds_books_and_prepares(portal):
    scene = published_opportunity()
    page = portal.new_page()
    portal.visit(page, "/accounts/signup/")
    page.get_by_label("Work e-mail address").fill("sam.jones@dhsc.gov.uk")
    page.get_by_label("Full name").fill("Sam Jones")
    page.get_by_label("Job title").fill("Policy adviser")
    page.get_by_label("Department or organisation").fill("Department of Health and Social Care")
    page.get_by_label("Directorate or team").fill("Adult Social Care")
    page.get_by_label("Grade").select_option(label="Grade 7")
    page.get_by_label("Password", exact=True).fill("Discharge-hub-visit-2027")
    page.get_by_label("Confirm password").fill("Discharge-hub-visit-2027")
    page.get_by_role("button", name="Create account").click()
    portal.check(page)
    portal.screenshot(page, "signed-up")

    verification = portal.wait_for_mail(to="sam.jones@dhsc.gov.uk", subject="confirm")
    portal.visit(page, verification.link(r"/accounts/confirm-email/"))
    page.get_by_role("button", name="Confirm").click()
    portal.check(page)
    sam = User.objects.get(email="sam.jones@dhsc.gov.uk")
    assert EmailAddress.objects.filter(user=sam, verified=True).count() == 1
    enrol(sam, scene.programme)
    sign_in(portal, page, "sam.jones@dhsc.gov.uk", "Discharge-hub-visit-2027")
    portal.screenshot(page, "participant-home")

    portal.visit(page, "/find/")
    page.get_by_label("Keywords").fill("discharge")
    page.get_by_role("button", name="Apply filters").click()
    portal.check(page)
    assert result_titles(page) == sorted(
        ["A day in the discharge hub", "A day in the discharge lounge of a children's hospital"]
    )
    page.get_by_label("Policy area").select_option(label="Hospital discharge")
    page.get_by_label("Only show opportunities with free places").check()
    page.get_by_role("button", name="Apply filters").click()
    portal.check(page)
    assert result_titles(page) == ["A day in the discharge hub"]
    portal.screenshot(page, "search-results")

    page.get_by_role("link", name="A day in the discharge hub").click()
    portal.check(page)
    first_slot = scene.slots[0]
    page.get_by_role("button", name=f"Request a place on {first_slot_label(first_slot)}").click()
    portal.check(page)
    portal.screenshot(page, "request-a-place")
    page.get_by_role("button", name="Request a place").click()
    portal.check(page)
    portal.screenshot(page, "requested")
    booking = Booking.objects.get(participant=sam)
    assert (booking.slot, booking.status) == (first_slot, BookingStatus.REQUESTED)
    # The portal opens the preparation form once the partner confirms (journey 3 fills it in).
    portal.visit(page, f"/bookings/{booking.pk}/preparation/")
    expect(page.get_by_text("You can prepare once your visit is confirmed")).to_be_visible()
    portal.screenshot(page, "preparation-waits-for-confirmation")
    portal.accessibility.assert_clean()


def test_journey_3_partner_confirms_and_the_participant_gets_the_invite_and_prepares(portal):
    scene = published_opportunity()
    sam = ParticipantFactory(email="sam.jones@dhsc.gov.uk", full_name="Sam Jones")
    enrol(sam, scene.programme)
    booking = booking_request(slot=scene.slots[0], participant=sam, programme=scene.programme)

    host = portal.new_page()
    sign_in(portal, host, scene.contact.email)
    portal.visit(host, "/bookings/requests/")
    portal.screenshot(host, "requests")
    portal.visit(host, f"/bookings/{booking.pk}/answer/")
    host.get_by_label("Confirm the visit").check()
    host.get_by_role("button", name="Send answer").click()
    portal.check(host)
    portal.screenshot(host, "confirmed")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED

    confirmation = portal.wait_for_mail(to=sam.email, subject="confirmed")
    ics = confirmation.attachments["invite.ics"].decode()
    assert "METHOD:REQUEST" in ics and "A day in the discharge hub" in ics

    page = portal.new_page()
    sign_in(portal, page, sam.email)
    portal.visit(page, f"/bookings/{booking.pk}/preparation/")
    page.get_by_label("What do you want to learn from the visit?").fill("How weekend discharges are planned.")
    page.get_by_label("What questions do you have for your host?").fill("What delays a Saturday discharge?")
    page.get_by_label("Which policy area does the visit relate to? (optional)").select_option(
        label="Hospital discharge"
    )
    page.get_by_label("I will follow Northbridge NHS Trust").check()
    page.get_by_role("button", name="Submit").click()
    portal.check(page)
    portal.screenshot(page, "preparation-submitted")
    preparation = Preparation.objects.get(booking=booking)
    assert (preparation.objectives, preparation.is_submitted) == ("How weekend discharges are planned.", True)
    portal.accessibility.assert_clean()


def test_journey_4_after_the_visit_the_participant_debriefs_and_the_host_gives_feedback(portal):
    scene = published_opportunity()
    sam = ParticipantFactory(email="sam.jones@dhsc.gov.uk", full_name="Sam Jones")
    booking = confirmed_booking(scene, sam)
    move_visit_into_the_past(booking.slot)

    page = portal.new_page()
    sign_in(portal, page, sam.email)
    portal.visit(page, f"/bookings/{booking.pk}/debrief/")
    fill_debrief(page)
    page.get_by_role("button", name="Submit for review").click()
    portal.check(page)
    portal.screenshot(page, "debrief-submitted")
    debrief = Debrief.objects.get(booking=booking)
    assert (debrief.status, debrief.what_i_learnt) == (DebriefStatus.SUBMITTED, WHAT_I_LEARNT)

    host = portal.new_page()
    sign_in(portal, host, scene.contact.email)
    portal.visit(host, f"/bookings/{booking.pk}/feedback/")
    host.get_by_label("Yes, well prepared").check()
    host.get_by_label("4 – Good value").check()
    host.get_by_role("group", name="Would you host a visit like this again?").get_by_label("Yes").check()
    host.get_by_label("Comments for the programme team (optional)").fill("Asked sharp questions.")
    host.get_by_role("button", name="Send feedback").click()
    portal.check(host)
    portal.screenshot(host, "feedback-sent")
    feedback = PartnerFeedback.objects.get(booking=booking)
    assert (feedback.visitor_prepared, feedback.value_to_partner, feedback.would_host_again) == (
        "yes",
        4,
        "yes",
    )
    portal.accessibility.assert_clean()


def test_journey_5_team_reviews_requests_a_change_approves_and_publishes(portal):
    scene = published_opportunity()
    sam = ParticipantFactory(email="sam.jones@dhsc.gov.uk", full_name="Sam Jones")
    booking = confirmed_booking(scene, sam)
    move_visit_into_the_past(booking.slot)
    debrief = DebriefFactory(booking=booking, status=DebriefStatus.SUBMITTED, consent="anonymised")
    team = ProgrammeTeamFactory(email="lead@dhsc.gov.uk")

    reviewer = portal.new_page()
    sign_in(portal, reviewer, team.email, totp_for=team)
    before = dashboard_figures(portal, reviewer)
    portal.visit(reviewer, "/review/")
    reviewer.get_by_role("link", name="Sam Jones").first.click()
    portal.check(reviewer)
    reviewer.get_by_role("button", name="Start review").click()
    portal.check(reviewer)
    reviewer.get_by_label("What should the author change?").fill("Say what the huddle decided.")
    reviewer.get_by_role("button", name="Request changes").click()
    portal.check(reviewer)
    portal.screenshot(reviewer, "changes-requested")
    debrief.refresh_from_db()
    assert debrief.status == DebriefStatus.CHANGES_REQUESTED

    author = portal.new_page()
    sign_in(portal, author, sam.email)
    portal.visit(author, f"/bookings/{booking.pk}/debrief/")
    expect(author.get_by_text("Say what the huddle decided.").first).to_be_visible()
    author.get_by_label("What did you see?").fill("The huddle agreed three discharges before noon.")
    author.get_by_role("button", name="Submit for review").click()
    portal.check(author)
    debrief.refresh_from_db()
    assert debrief.status == DebriefStatus.SUBMITTED

    portal.visit(reviewer, f"/review/{debrief.pk}/")
    reviewer.get_by_role("button", name="Start review").click()
    reviewer.get_by_role("button", name="Approve").click()
    portal.check(reviewer)
    reviewer.get_by_role("link", name="Publish to the learning library").click()
    portal.check(reviewer)
    reviewer.get_by_label("Title").fill("Discharge waits start with care packages")
    reviewer.get_by_label("Text").fill(WHAT_I_LEARNT)
    reviewer.get_by_role("button", name="Publish to the learning library").click()
    portal.check(reviewer)
    portal.screenshot(reviewer, "published")
    debrief.refresh_from_db()
    assert debrief.status == DebriefStatus.PUBLISHED

    portal.visit(author, "/library/")
    expect(author.get_by_role("link", name="Discharge waits start with care packages")).to_be_visible()
    portal.screenshot(author, "learning-library")
    after = dashboard_figures(portal, reviewer)
    portal.screenshot(reviewer, "dashboard")
    moved = ["Waiting for a reviewer", "Insights in the learning library"]
    assert [(before[k], after[k]) for k in moved] == [("1", "0"), ("0", "1")]
    portal.accessibility.assert_clean()


def test_journey_6_two_participants_ask_for_the_last_place_at_once_and_one_gets_it(portal):
    scene = published_opportunity(capacity=1)
    slot = scene.slots[0]
    pages = []
    for name in ("sam.jones", "kim.lee"):
        person = ParticipantFactory(email=f"{name}@dhsc.gov.uk")
        enrol(person, scene.programme)
        page = portal.new_page()
        sign_in(portal, page, person.email)
        portal.visit(page, f"/bookings/request/{slot.pk}/")
        pages.append(page)

    # Both forms are sent before either answer comes back: the live server answers each in a thread.
    first, second = pages
    with first.expect_navigation(), second.expect_navigation():
        for page in pages:
            page.evaluate(
                "() => { setTimeout(() => document.querySelector('main form').requestSubmit(), 0) }"
            )
    for n, page in enumerate(pages):
        portal.check(page)
        portal.screenshot(page, f"participant-{n + 1}-after-asking")

    holding = Booking.objects.filter(slot=slot, status__in=PLACE_TAKING_STATUSES)
    assert holding.count() == 1
    winner = holding.get().participant.email
    loser = pages[1] if winner == "sam.jones@dhsc.gov.uk" else pages[0]
    text = loser.locator("main").inner_text()
    assert "full" in text.lower() or "waiting list" in text.lower(), text
    portal.accessibility.assert_clean()


def test_journey_6_a_partner_cannot_open_another_partners_pages(portal):
    scene = published_opportunity()
    other = PartnerMembershipFactory(is_admin=True).user
    page = portal.new_page()
    sign_in(portal, page, other.email)
    for path in (
        f"/partners/{scene.partner.pk}/edit/",
        f"/opportunities/{scene.opportunity.pk}/",
        f"/opportunities/{scene.opportunity.pk}/edit/",
    ):
        response = portal.visit(page, path)
        assert (path, response.status) == (path, 404)
    portal.screenshot(page, "not-found")
    portal.accessibility.assert_clean()


def test_journey_6_a_form_with_errors_shows_the_error_summary_naming_each_one(portal):
    scene = published_opportunity()
    page = portal.new_page()
    sign_in(portal, page, scene.contact.email)
    portal.visit(page, "/opportunities/new/")
    page.get_by_label("Host e-mail address").fill("not an address")
    page.get_by_role("button", name="Save opportunity").click()
    portal.check(page)
    portal.screenshot(page, "error-summary")

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    named = summary.locator(".govuk-error-summary__list a").all_inner_texts()
    inline = [
        t.removeprefix("Error:").strip() for t in page.locator(".govuk-error-message").all_inner_texts()
    ]
    assert named == inline and len(named) >= 5, (named, inline)
    assert "Enter a title" in named
    for link in summary.locator(".govuk-error-summary__list a").all():
        target = link.get_attribute("href")
        assert page.locator(target).count() == 1, target
    portal.accessibility.assert_clean()


def test_without_javascript_a_participant_books_and_submits_a_debrief(portal):
    scene = published_opportunity()
    sam = ParticipantFactory(email="sam.jones@dhsc.gov.uk")
    past = confirmed_booking(scene, sam, slot=scene.slots[1])
    move_visit_into_the_past(past.slot)

    page = portal.new_page(javascript=False)
    sign_in(portal, page, sam.email)
    portal.visit(page, f"/find/{scene.opportunity.pk}/")
    page.get_by_role("button", name=f"Request a place on {first_slot_label(scene.slots[0])}").click()
    page.get_by_role("button", name="Request a place").click()
    assert Booking.objects.get(participant=sam, slot=scene.slots[0]).status == BookingStatus.REQUESTED

    portal.visit(page, f"/bookings/{past.pk}/debrief/")
    fill_debrief(page)
    page.get_by_role("button", name="Submit for review").click()
    portal.screenshot(page, "debrief-without-javascript")
    assert Debrief.objects.get(booking=past).status == DebriefStatus.SUBMITTED
