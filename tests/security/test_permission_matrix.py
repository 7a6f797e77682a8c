"""The permission matrix (issue 8): every URL of the portal, enumerated from the URL configuration,
visited by each of six people (anonymous, participant A, participant B, the contact of partner X,
the contact of partner Y, a programme-team member with two-factor set up), with what each must get.

A URL missing from MATRIX fails its own test, naming it, so a new view cannot escape the matrix.
Every URL is also POSTed to (with no form data, and no CSRF check, so only the permission checks
stand in the way): the answer must be as listed, and a POST that is not listed in `post_changes`
must leave every table exactly as it was.

The outcomes are what the code does today, checked against ../shared/DESIGN.md ("a refused object
answers 404"; a role refused outright answers 403). The world is in tests/security/world.py.
"""

import pytest
from django.db import transaction
from django.urls import reverse

from tests.security.matrix import (
    LOGIN,
    REDIRECT,
    VISITORS,
    Expect,
    client_for,
    data_fingerprint,
    fingerprint_changes,
    outcome_of,
    portal_routes,
)

pytestmark = pytest.mark.django_db

MATRIX: dict[str, Expect] = {
    # --- Public pages and the portal's own two-factor step
    "home": Expect(
        anonymous=200,
        participant_a=REDIRECT,
        participant_b=REDIRECT,
        partner_x=REDIRECT,
        partner_y=REDIRECT,
        team=REDIRECT,
    ),
    "privacy": Expect(
        anonymous=200, participant_a=200, participant_b=200, partner_x=200, partner_y=200, team=200
    ),
    "healthz": Expect(
        anonymous=200, participant_a=200, participant_b=200, partner_x=200, partner_y=200, team=200
    ),
    "mfa_authenticate": Expect(
        anonymous=LOGIN,
        participant_a=REDIRECT,
        participant_b=REDIRECT,
        partner_x=REDIRECT,
        partner_y=REDIRECT,
        team=REDIRECT,
    ),
    # --- allauth's pages the portal depends on (see ALLAUTH_URLS_IN_THE_MATRIX)
    "account_login": Expect(
        anonymous=200,
        participant_a=REDIRECT,
        participant_b=REDIRECT,
        partner_x=REDIRECT,
        partner_y=REDIRECT,
        team=REDIRECT,
    ),
    "account_logout": Expect(
        anonymous=REDIRECT,
        participant_a=200,
        participant_b=200,
        partner_x=200,
        partner_y=200,
        team=200,
        post={
            "participant_a": REDIRECT,
            "participant_b": REDIRECT,
            "partner_x": REDIRECT,
            "partner_y": REDIRECT,
            "team": REDIRECT,
        },
    ),
    "account_signup": Expect(
        anonymous=200,
        participant_a=REDIRECT,
        participant_b=REDIRECT,
        partner_x=REDIRECT,
        partner_y=REDIRECT,
        team=REDIRECT,
    ),
    "account_reauthenticate": Expect(
        anonymous=LOGIN, participant_a=200, participant_b=200, partner_x=200, partner_y=200, team=200
    ),
    "account_change_password": Expect(
        anonymous=LOGIN, participant_a=200, participant_b=200, partner_x=200, partner_y=200, team=200
    ),
    "account_reset_password": Expect(
        anonymous=200, participant_a=200, participant_b=200, partner_x=200, partner_y=200, team=200
    ),
    "mfa_index": Expect(
        anonymous=LOGIN,
        participant_a=200,
        participant_b=200,
        partner_x=200,
        partner_y=200,
        team=200,
        post={"participant_a": 405, "participant_b": 405, "partner_x": 405, "partner_y": 405, "team": 405},
    ),
    "mfa_reauthenticate": Expect(
        anonymous=LOGIN,
        participant_a=REDIRECT,
        participant_b=REDIRECT,
        partner_x=REDIRECT,
        partner_y=REDIRECT,
        team=200,
    ),
    "mfa_activate_totp": Expect(
        anonymous=LOGIN,
        participant_a=REDIRECT,
        participant_b=REDIRECT,
        partner_x=REDIRECT,
        partner_y=REDIRECT,
        team=REDIRECT,
    ),
    # --- Account pages. Unsubscribe: the signed token in the address is the credential (RFC 8058
    # one-click), so whoever holds A's link may turn A's reminders off, signed in or not
    "accounts:participant_home": Expect(
        anonymous=LOGIN, participant_a=200, participant_b=200, partner_x=403, partner_y=403, team=403
    ),
    "accounts:programme_home": Expect(
        anonymous=LOGIN, participant_a=403, participant_b=403, partner_x=403, partner_y=403, team=200
    ),
    "accounts:profile": Expect(
        anonymous=LOGIN,
        participant_a=200,
        participant_b=200,
        partner_x=200,
        partner_y=200,
        team=200,
        post={"participant_a": 400, "participant_b": 400, "partner_x": 400, "partner_y": 400, "team": 400},
    ),
    "accounts:reminders": Expect(
        anonymous=LOGIN,
        participant_a=200,
        participant_b=200,
        partner_x=200,
        partner_y=200,
        team=200,
        post={"participant_a": 400, "participant_b": 400, "partner_x": 400, "partner_y": 400, "team": 400},
    ),
    "accounts:unsubscribe": Expect(
        kwargs=lambda w: {"token": w.unsubscribe_token_a},
        anonymous=200,
        participant_a=200,
        participant_b=200,
        partner_x=200,
        partner_y=200,
        team=200,
        post_changes=frozenset(
            {"anonymous", "participant_a", "participant_b", "partner_x", "partner_y", "team"}
        ),
    ),
    # --- Partners: X's pages. Y's contact is refused the object (404); a role refused outright is 403
    "partners:list": Expect(
        anonymous=LOGIN, participant_a=403, participant_b=403, partner_x=403, partner_y=403, team=200
    ),
    "partners:create": Expect(
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
        post={"team": 400},
    ),
    "partners:dashboard": Expect(
        anonymous=LOGIN, participant_a=403, participant_b=403, partner_x=200, partner_y=200, team=403
    ),
    "partners:detail": Expect(
        kwargs=lambda w: {"partner_id": w.partner_x.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=200,
        partner_y=404,
        team=200,
    ),
    "partners:edit": Expect(
        kwargs=lambda w: {"partner_id": w.partner_x.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=200,
        partner_y=404,
        team=200,
        post={"partner_x": 400, "team": 400},
    ),
    "partners:status": Expect(
        kwargs=lambda w: {"partner_id": w.partner_x.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=404,
        team=200,
        post={"team": 400},
    ),
    "partners:capacity": Expect(
        kwargs=lambda w: {"partner_id": w.partner_x.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=200,
        partner_y=404,
        team=200,
        post={"partner_x": REDIRECT, "team": REDIRECT},
        post_changes=frozenset({"partner_x", "team"}),
    ),
    "partners:blackout_add": Expect(
        kwargs=lambda w: {"partner_id": w.partner_x.pk},
        anonymous=LOGIN,
        participant_a=405,
        participant_b=405,
        partner_x=405,
        partner_y=405,
        team=405,
        post={"participant_a": 403, "participant_b": 403, "partner_x": 400, "partner_y": 404, "team": 400},
    ),
    "partners:blackout_remove": Expect(
        kwargs=lambda w: {"partner_id": w.partner_x.pk, "blackout_id": w.blackout_x.pk},
        anonymous=LOGIN,
        participant_a=405,
        participant_b=405,
        partner_x=405,
        partner_y=405,
        team=405,
        post={
            "participant_a": 403,
            "participant_b": 403,
            "partner_x": REDIRECT,
            "partner_y": 404,
            "team": REDIRECT,
        },
        post_changes=frozenset({"partner_x", "team"}),
    ),
    "partners:invite": Expect(
        kwargs=lambda w: {"partner_id": w.partner_x.pk},
        anonymous=LOGIN,
        participant_a=405,
        participant_b=405,
        partner_x=405,
        partner_y=405,
        team=405,
        post={"participant_a": 403, "participant_b": 403, "partner_x": 400, "partner_y": 404, "team": 400},
    ),
    "partners:invitation_accept": Expect(
        kwargs=lambda w: {"token": w.invitation_x_token},
        anonymous=200,
        participant_a=200,
        participant_b=200,
        partner_x=200,
        partner_y=200,
        team=200,
        post={
            "anonymous": 400,
            "participant_a": 403,
            "participant_b": 403,
            "partner_x": 403,
            "partner_y": 403,
            "team": 403,
        },
    ),
    # --- Programmes: the programme team's only
    "programmes:list": Expect(
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
        post={"team": 405},
    ),
    "programmes:create": Expect(
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
        post={"team": 400},
    ),
    "programmes:detail": Expect(
        kwargs=lambda w: {"programme_id": w.programme.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
        post={"team": 405},
    ),
    "programmes:edit": Expect(
        kwargs=lambda w: {"programme_id": w.programme.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
        post={"team": 400},
    ),
    "programmes:cohort_create": Expect(
        kwargs=lambda w: {"programme_id": w.programme.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
        post={"team": 400},
    ),
    "programmes:cohort_edit": Expect(
        kwargs=lambda w: {"programme_id": w.programme.pk, "cohort_id": w.cohort.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
        post={"team": 400},
    ),
    "programmes:enrolment_add": Expect(
        kwargs=lambda w: {"programme_id": w.programme.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
        post={"team": 400},
    ),
    "programmes:enrolment_upload": Expect(
        kwargs=lambda w: {"programme_id": w.programme.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
        post={"team": 400},
    ),
    "programmes:enrolment_move": Expect(
        kwargs=lambda w: {"programme_id": w.programme.pk, "enrolment_id": w.enrolment_a.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
        post={"team": REDIRECT},
        post_changes=frozenset({"team"}),
    ),
    "programmes:enrolment_remove": Expect(
        kwargs=lambda w: {"programme_id": w.programme.pk, "enrolment_id": w.enrolment_a.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
        post={"team": REDIRECT},
        post_changes=frozenset({"team"}),
    ),
    # --- Opportunities and slots of partner X
    "opportunities:list": Expect(
        anonymous=LOGIN, participant_a=403, participant_b=403, partner_x=200, partner_y=200, team=200
    ),
    "opportunities:create": Expect(
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=200,
        partner_y=200,
        team=200,
        post={"partner_x": 400, "partner_y": 400, "team": 400},
    ),
    "opportunities:detail": Expect(
        kwargs=lambda w: {"opportunity_id": w.opportunity_x.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=200,
        partner_y=404,
        team=200,
    ),
    "opportunities:edit": Expect(
        kwargs=lambda w: {"opportunity_id": w.opportunity_x.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=200,
        partner_y=404,
        team=200,
        post={"partner_x": 400, "team": 400},
    ),
    "opportunities:status": Expect(
        kwargs=lambda w: {"opportunity_id": w.opportunity_x.pk},
        anonymous=LOGIN,
        participant_a=405,
        participant_b=405,
        partner_x=405,
        partner_y=405,
        team=405,
        post={
            "participant_a": 403,
            "participant_b": 403,
            "partner_x": REDIRECT,
            "partner_y": 404,
            "team": REDIRECT,
        },
    ),
    "opportunities:slot_add": Expect(
        kwargs=lambda w: {"opportunity_id": w.opportunity_x.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=200,
        partner_y=404,
        team=200,
        post={"partner_x": 400, "team": 400},
    ),
    "opportunities:slot_series_add": Expect(
        kwargs=lambda w: {"opportunity_id": w.opportunity_x.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=200,
        partner_y=404,
        team=200,
        post={"partner_x": 400, "team": 400},
    ),
    "opportunities:slot_edit": Expect(
        kwargs=lambda w: {"slot_id": w.slot_x_future.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=200,
        partner_y=404,
        team=200,
        post={"partner_x": 400, "team": 400},
    ),
    "opportunities:slot_delete": Expect(
        kwargs=lambda w: {"slot_id": w.slot_x_future.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=200,
        partner_y=404,
        team=200,
        post={"partner_x": REDIRECT, "team": REDIRECT},
    ),
    # --- Browsing published opportunities
    "browse:list": Expect(
        anonymous=LOGIN, participant_a=200, participant_b=200, partner_x=403, partner_y=403, team=200
    ),
    "browse:interests": Expect(
        anonymous=LOGIN,
        participant_a=200,
        participant_b=200,
        partner_x=403,
        partner_y=403,
        team=403,
        post={"participant_a": REDIRECT, "participant_b": REDIRECT},
        post_changes=frozenset({"participant_a", "participant_b"}),
    ),
    "browse:detail": Expect(
        kwargs=lambda w: {"opportunity_id": w.opportunity_x.pk},
        anonymous=LOGIN,
        participant_a=200,
        participant_b=200,
        partner_x=200,
        partner_y=404,
        team=200,
    ),
    # --- Bookings: `booking_a` is A's attended visit to X, `booking_a_request` A's request waiting
    # for X. The line manager's link, like the unsubscribe link, is its own credential
    "bookings:list": Expect(
        anonymous=LOGIN, participant_a=403, participant_b=403, partner_x=200, partner_y=200, team=200
    ),
    "bookings:request": Expect(
        kwargs=lambda w: {"slot_id": w.slot_x_future.pk},
        anonymous=LOGIN,
        participant_a=200,
        participant_b=200,
        partner_x=403,
        partner_y=403,
        team=403,
        post={"participant_a": 400, "participant_b": REDIRECT},
        post_changes=frozenset({"participant_b"}),
    ),
    "bookings:requests": Expect(
        anonymous=LOGIN, participant_a=403, participant_b=403, partner_x=200, partner_y=200, team=200
    ),
    "bookings:answer_many": Expect(
        anonymous=LOGIN,
        participant_a=405,
        participant_b=405,
        partner_x=405,
        partner_y=405,
        team=405,
        post={"participant_a": 403, "participant_b": 403, "partner_x": 400, "partner_y": 400, "team": 400},
    ),
    "bookings:manager": Expect(
        kwargs=lambda w: {"token": w.manager_token_a},
        anonymous=200,
        participant_a=200,
        participant_b=200,
        partner_x=200,
        partner_y=200,
        team=200,
        post={
            "anonymous": 409,
            "participant_a": 409,
            "participant_b": 409,
            "partner_x": 409,
            "partner_y": 409,
            "team": 409,
        },
    ),
    "bookings:detail": Expect(
        kwargs=lambda w: {"booking_id": w.booking_a.pk},
        anonymous=LOGIN,
        participant_a=200,
        participant_b=404,
        partner_x=200,
        partner_y=404,
        team=200,
    ),
    "bookings:cancel": Expect(
        kwargs=lambda w: {"booking_id": w.booking_a_request.pk},
        anonymous=LOGIN,
        participant_a=200,
        participant_b=404,
        partner_x=REDIRECT,
        partner_y=404,
        team=200,
        post={"participant_a": 400, "partner_x": 400, "team": 400},
    ),
    "bookings:accept": Expect(
        kwargs=lambda w: {"booking_id": w.booking_a_request.pk},
        anonymous=LOGIN,
        participant_a=405,
        participant_b=405,
        partner_x=405,
        partner_y=405,
        team=405,
        post={
            "participant_a": REDIRECT,
            "participant_b": 404,
            "partner_x": 403,
            "partner_y": 403,
            "team": 403,
        },
    ),
    "bookings:answer": Expect(
        kwargs=lambda w: {"booking_id": w.booking_a_request.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=200,
        partner_y=404,
        team=200,
        post={"partner_x": 400, "team": 400},
    ),
    "bookings:attendance": Expect(
        kwargs=lambda w: {"booking_id": w.booking_a.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=200,
        partner_y=404,
        team=200,
        post={"partner_x": 400, "team": 400},
    ),
    # --- Before and after A's visit to X
    "preparation:preparation": Expect(
        kwargs=lambda w: {"booking_id": w.booking_a.pk},
        anonymous=LOGIN,
        participant_a=200,
        participant_b=404,
        partner_x=200,
        partner_y=404,
        team=200,
        post={"participant_a": 400, "partner_x": 403, "team": 403},
    ),
    "preparation:joining_instructions": Expect(
        kwargs=lambda w: {"booking_id": w.booking_a.pk},
        anonymous=LOGIN,
        participant_a=200,
        participant_b=404,
        partner_x=200,
        partner_y=404,
        team=200,
        post={"participant_a": 403, "partner_x": 400, "team": 400},
    ),
    "preparation:briefing_pack": Expect(
        kwargs=lambda w: {"booking_id": w.booking_a.pk},
        anonymous=LOGIN,
        participant_a=200,
        participant_b=404,
        partner_x=200,
        partner_y=404,
        team=200,
        post={"participant_a": 405, "participant_b": 405, "partner_x": 405, "partner_y": 405, "team": 405},
    ),
    "debriefs:debrief": Expect(
        kwargs=lambda w: {"booking_id": w.booking_a.pk},
        anonymous=LOGIN,
        participant_a=200,
        participant_b=404,
        partner_x=403,
        partner_y=404,
        team=200,
        post={"participant_a": 400, "team": 403},
    ),
    "debriefs:feedback": Expect(
        kwargs=lambda w: {"booking_id": w.booking_a.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=404,
        partner_x=200,
        partner_y=404,
        team=200,
        post={"partner_x": 400, "team": 403},
    ),
    # --- Debrief review, policy actions and the team's CSV exports
    "review:queue": Expect(
        anonymous=LOGIN, participant_a=403, participant_b=403, partner_x=403, partner_y=403, team=200
    ),
    "review:detail": Expect(
        kwargs=lambda w: {"debrief_id": w.debrief_a.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
    ),
    "review:start": Expect(
        kwargs=lambda w: {"debrief_id": w.debrief_a.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=405,
        post={"team": REDIRECT},
        post_changes=frozenset({"team"}),
    ),
    "review:request_changes": Expect(
        kwargs=lambda w: {"debrief_id": w.debrief_a.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=405,
        post={"team": 400},
    ),
    "review:approve": Expect(
        kwargs=lambda w: {"debrief_id": w.debrief_a.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=405,
        post={"team": REDIRECT},
    ),
    "review:publish": Expect(
        kwargs=lambda w: {"debrief_id": w.debrief_a.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=REDIRECT,
    ),
    "review:unpublish": Expect(
        kwargs=lambda w: {"debrief_id": w.debrief_a.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=405,
        post={"team": 400},
    ),
    "review:reopen": Expect(
        kwargs=lambda w: {"debrief_id": w.debrief_a.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=405,
        post={"team": 400},
    ),
    "review:comment": Expect(
        kwargs=lambda w: {"debrief_id": w.debrief_a.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=405,
        post={"team": 400},
    ),
    "review:assign": Expect(
        kwargs=lambda w: {"debrief_id": w.debrief_a.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=405,
        post={"team": 400},
    ),
    "review:flag": Expect(
        kwargs=lambda w: {"debrief_id": w.debrief_a.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=405,
        post={"team": 400},
    ),
    "review:themes": Expect(
        anonymous=LOGIN, participant_a=403, participant_b=403, partner_x=403, partner_y=403, team=200
    ),
    "review:policy_actions": Expect(
        anonymous=LOGIN, participant_a=403, participant_b=403, partner_x=403, partner_y=403, team=200
    ),
    "review:policy_action": Expect(
        kwargs=lambda w: {"action_id": w.policy_action_a.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
        post={"team": 400},
    ),
    "review:export_debriefs": Expect(
        anonymous=LOGIN, participant_a=403, participant_b=403, partner_x=403, partner_y=403, team=200
    ),
    "review:export_actions": Expect(
        anonymous=LOGIN, participant_a=403, participant_b=403, partner_x=403, partner_y=403, team=200
    ),
    # --- The learning library: the insight is about X
    "library:list": Expect(
        anonymous=LOGIN, participant_a=200, participant_b=200, partner_x=200, partner_y=200, team=200
    ),
    "library:you_said_we_did": Expect(
        anonymous=LOGIN, participant_a=403, participant_b=403, partner_x=200, partner_y=200, team=200
    ),
    "library:detail": Expect(
        kwargs=lambda w: {"insight_id": w.insight_x.pk},
        anonymous=LOGIN,
        participant_a=200,
        participant_b=200,
        partner_x=200,
        partner_y=404,
        team=200,
    ),
    # --- Outbox, exports (the job in the URL belongs to another team member), My visits, calendar.
    # The calendar feed's token is its credential: anyone holding A's address reads A's feed
    "outbox:list": Expect(
        anonymous=LOGIN, participant_a=403, participant_b=403, partner_x=403, partner_y=403, team=200
    ),
    "outbox:detail": Expect(
        kwargs=lambda w: {"message_id": w.outbox_message_a.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
    ),
    "outbox:retry": Expect(
        kwargs=lambda w: {"message_id": w.outbox_message_a.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=405,
        post={"team": REDIRECT},
        post_changes=frozenset({"team"}),
    ),
    "reports:exports": Expect(
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
        post={"team": 400},
    ),
    "reports:mine": Expect(
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
        post={"team": 405},
    ),
    "reports:download": Expect(
        kwargs=lambda w: {"job_id": w.export_job_other.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=404,
        post={"team": 405},
    ),
    "visits:list": Expect(
        anonymous=LOGIN, participant_a=200, participant_b=200, partner_x=403, partner_y=403, team=403
    ),
    "calendar:settings": Expect(
        anonymous=LOGIN,
        participant_a=200,
        participant_b=200,
        partner_x=200,
        partner_y=200,
        team=200,
        post={"participant_a": 405, "participant_b": 405, "partner_x": 405, "partner_y": 405, "team": 405},
    ),
    "calendar:reset": Expect(
        anonymous=LOGIN,
        participant_a=405,
        participant_b=405,
        partner_x=405,
        partner_y=405,
        team=405,
        post={
            "participant_a": REDIRECT,
            "participant_b": REDIRECT,
            "partner_x": REDIRECT,
            "partner_y": REDIRECT,
            "team": REDIRECT,
        },
        post_changes=frozenset({"participant_a", "participant_b", "partner_x", "partner_y", "team"}),
    ),
    "calendar:feed": Expect(
        kwargs=lambda w: {"token": w.calendar_token_a},
        anonymous=200,
        participant_a=200,
        participant_b=200,
        partner_x=200,
        partner_y=200,
        team=200,
        post={
            "anonymous": 405,
            "participant_a": 405,
            "participant_b": 405,
            "partner_x": 405,
            "partner_y": 405,
            "team": 405,
        },
    ),
    # --- Dashboard and surveys: the open survey invites participant A only
    "dashboard:refresh": Expect(
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=405,
        post={"team": REDIRECT},
    ),
    "dashboard:impact_pack": Expect(
        anonymous=LOGIN, participant_a=403, participant_b=403, partner_x=403, partner_y=403, team=200
    ),
    "dashboard:impact_pack_pdf": Expect(
        anonymous=LOGIN, participant_a=403, participant_b=403, partner_x=403, partner_y=403, team=200
    ),
    "surveys:list": Expect(
        anonymous=LOGIN, participant_a=403, participant_b=403, partner_x=403, partner_y=403, team=200
    ),
    "surveys:create": Expect(
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
        post={"team": 400},
    ),
    "surveys:detail": Expect(
        kwargs=lambda w: {"survey_id": w.survey.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
    ),
    "surveys:edit": Expect(
        kwargs=lambda w: {"survey_id": w.survey.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=REDIRECT,
    ),
    "surveys:open": Expect(
        kwargs=lambda w: {"survey_id": w.survey.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=REDIRECT,
    ),
    "surveys:close": Expect(
        kwargs=lambda w: {"survey_id": w.survey.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
        post={"team": REDIRECT},
        post_changes=frozenset({"team"}),
    ),
    "surveys:results": Expect(
        kwargs=lambda w: {"survey_id": w.survey.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
    ),
    "surveys:answer": Expect(
        kwargs=lambda w: {"survey_id": w.survey.pk},
        anonymous=LOGIN,
        participant_a=200,
        participant_b=404,
        partner_x=404,
        partner_y=404,
        team=404,
        post={"participant_a": 400},
    ),
    "surveys:thanks": Expect(
        kwargs=lambda w: {"survey_id": w.survey.pk},
        anonymous=LOGIN,
        participant_a=REDIRECT,
        participant_b=404,
        partner_x=404,
        partner_y=404,
        team=404,
    ),
    # --- Audit log, subject access and erasure (in progress in this checkout)
    "audit:list": Expect(
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
        post={"team": 405},
    ),
    "privacy:my_data": Expect(
        anonymous=LOGIN, participant_a=200, participant_b=200, partner_x=200, partner_y=200, team=200
    ),
    "privacy:people": Expect(
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
        post={"team": 405},
    ),
    "privacy:anonymise": Expect(
        kwargs=lambda w: {"person_id": w.participant_a.pk},
        anonymous=LOGIN,
        participant_a=403,
        participant_b=403,
        partner_x=403,
        partner_y=403,
        team=200,
        post={"team": 400},
    ),
}

ROUTES = {route.name: route for route in portal_routes()}


def _expectation(name: str) -> Expect:
    expect = MATRIX.get(name)
    if expect is None:
        pytest.fail(
            f"The URL {name or '(unnamed)'} (/{ROUTES[name].route}) is not in the permission matrix: "
            "add it to MATRIX in tests/security/test_permission_matrix.py, with what each visitor gets."
        )
    return expect


def test_every_url_of_the_portal_has_a_name():
    assert [route.route for route in ROUTES.values() if not route.name] == []


def test_the_matrix_lists_no_url_the_portal_has_dropped():
    assert sorted(MATRIX.keys() - ROUTES.keys()) == []


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_get(name, world):
    expect = _expectation(name)
    url = expect.url(name, world)
    wrong = {}
    for visitor in VISITORS:
        client = client_for(world, visitor)
        saved = transaction.savepoint()
        got = outcome_of(client.get(url))
        transaction.savepoint_rollback(saved)
        if got != expect.get_outcome(visitor):
            wrong[visitor] = f"expected {expect.get_outcome(visitor)}, got {got}"
    assert wrong == {}, f"GET {url}"


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_post(name, world):
    expect = _expectation(name)
    url = expect.url(name, world)
    clients = {visitor: client_for(world, visitor) for visitor in VISITORS}  # signing in writes
    before = data_fingerprint()
    wrong = {}
    for visitor, client in clients.items():
        saved = transaction.savepoint()
        got = outcome_of(client.post(url, {}))
        changed = [] if visitor in expect.post_changes else fingerprint_changes(before, data_fingerprint())
        transaction.savepoint_rollback(saved)
        if got != expect.post_outcome(visitor):
            wrong[visitor] = f"expected {expect.post_outcome(visitor)}, got {got}"
        if changed:
            wrong[f"{visitor} changed"] = changed
    assert wrong == {}, f"POST {url}"


def test_django_admin_refuses_everyone_who_is_not_staff(world):
    for visitor in VISITORS:
        response = client_for(world, visitor).get("/django-admin/")
        assert (visitor, response.status_code, response["Location"].split("?")[0]) == (
            visitor,
            302,
            "/django-admin/login/",
        )


# --- Object-level checks ------------------------------------------------------------------------
# The matrix points each object URL at A's objects at partner X; these name the refusals one by
# one, with a control (the same visitor reaches their own object), and check what a refused
# request did not do.


def _url(name: str, **kwargs) -> str:
    return reverse(name, kwargs=kwargs)


def _unchanged(world, visitor: str, method: str, url: str, data=None) -> int:
    """The status of one request, and the proof it wrote nothing."""
    client = client_for(world, visitor)
    before = data_fingerprint()
    response = getattr(client, method)(url, data or {})
    assert fingerprint_changes(before, data_fingerprint()) == [], f"{visitor} {method.upper()} {url}"
    return response.status_code


A_VISIT_PAGES = [
    ("bookings:detail", "booking_a"),
    ("bookings:cancel", "booking_a_request"),
    ("preparation:preparation", "booking_a"),
    ("preparation:joining_instructions", "booking_a"),
    ("debriefs:debrief", "booking_a"),
    ("debriefs:feedback", "booking_a"),
]


@pytest.mark.parametrize(("name", "booking"), A_VISIT_PAGES)
def test_participant_b_gets_404_for_participant_a_s_visit(world, name, booking):
    url = _url(name, booking_id=getattr(world, booking).pk)

    assert _unchanged(world, "participant_b", "get", url) == 404
    assert _unchanged(world, "participant_b", "post", url) == 404


def test_participant_b_gets_404_for_participant_a_s_briefing_pack(world):
    url = _url("preparation:briefing_pack", booking_id=world.booking_a.pk)

    refused = client_for(world, "participant_b").get(url)
    served = client_for(world, "participant_a").get(url)

    assert (refused.status_code, served.status_code) == (404, 200)
    assert b"%PDF" not in refused.content
    assert (served["Content-Disposition"].split(";")[0], served["X-Content-Type-Options"]) == (
        "attachment",
        "nosniff",
    )


def test_participant_b_reaches_their_own_booking(world):
    assert (
        client_for(world, "participant_b")
        .get(_url("bookings:detail", booking_id=world.booking_b.pk))
        .status_code
        == 200
    )


PARTNER_X_PAGES = [
    ("bookings:detail", {"booking_id": "booking_a"}),
    ("bookings:answer", {"booking_id": "booking_a_request"}),
    ("bookings:attendance", {"booking_id": "booking_a"}),
    ("bookings:cancel", {"booking_id": "booking_a_request"}),
    ("preparation:preparation", {"booking_id": "booking_a"}),
    ("preparation:joining_instructions", {"booking_id": "booking_a"}),
    ("debriefs:feedback", {"booking_id": "booking_a"}),
    ("opportunities:detail", {"opportunity_id": "opportunity_x"}),
    ("opportunities:edit", {"opportunity_id": "opportunity_x"}),
    ("opportunities:slot_add", {"opportunity_id": "opportunity_x"}),
    ("opportunities:slot_edit", {"slot_id": "slot_x_future"}),
    ("opportunities:slot_delete", {"slot_id": "slot_x_future"}),
    ("browse:detail", {"opportunity_id": "opportunity_x"}),
    ("partners:detail", {"partner_id": "partner_x"}),
    ("partners:edit", {"partner_id": "partner_x"}),
    ("partners:capacity", {"partner_id": "partner_x"}),
]


@pytest.mark.parametrize(("name", "kwargs"), PARTNER_X_PAGES)
def test_partner_y_gets_404_for_partner_x_s_objects(world, name, kwargs):
    url = _url(name, **{key: getattr(world, attribute).pk for key, attribute in kwargs.items()})

    assert _unchanged(world, "partner_y", "get", url) == 404
    assert _unchanged(world, "partner_y", "post", url) == 404


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("bookings:detail", {"booking_id": "booking_b"}),
        ("bookings:answer", {"booking_id": "booking_b"}),
        ("opportunities:edit", {"opportunity_id": "opportunity_y"}),
        ("partners:capacity", {"partner_id": "partner_y"}),
    ],
)
def test_partner_y_reaches_its_own_objects(world, name, kwargs):
    url = _url(name, **{key: getattr(world, attribute).pk for key, attribute in kwargs.items()})

    assert client_for(world, "partner_y").get(url).status_code == 200


def test_partner_y_answering_x_s_request_in_bulk_changes_nothing(world):
    url = _url("bookings:answer_many")
    data = {"bookings": [world.booking_a_request.pk], "action": "confirm"}

    assert _unchanged(world, "partner_y", "post", url, data) == 302
    # The same form from X's own contact does confirm it: the refusal above is about the partner.
    client_for(world, "partner_x").post(url, data)
    world.booking_a_request.refresh_from_db()
    assert world.booking_a_request.status == "confirmed"


def test_partner_y_cannot_remove_x_s_blackout_through_its_own_partner(world):
    url = _url("partners:blackout_remove", partner_id=world.partner_y.pk, blackout_id=world.blackout_x.pk)

    assert _unchanged(world, "partner_y", "post", url) == 302


# Lists are limited by their selectors: another organisation's or person's rows never appear.
LISTS_THAT_MUST_NOT_NAME = [
    ("partner_y", "bookings:list", ["Ada Participant"]),
    ("partner_y", "bookings:requests", ["Ada Participant"]),
    ("partner_y", "partners:dashboard", ["Ada Participant", "Partner X NHS Trust"]),
    ("partner_y", "opportunities:list", ["opportunity_x"]),
    ("partner_y", "library:list", ["Discharge starts at admission"]),
    ("participant_b", "visits:list", ["Partner X NHS Trust", "opportunity_x"]),
    ("participant_b", "accounts:participant_home", ["Partner X NHS Trust", "opportunity_x"]),
]


@pytest.mark.parametrize(("visitor", "name", "hidden"), LISTS_THAT_MUST_NOT_NAME)
def test_lists_show_nothing_of_others(world, visitor, name, hidden):
    response = client_for(world, visitor).get(_url(name))
    html = response.content.decode()
    texts = [getattr(world, text).title if text.startswith("opportunity") else text for text in hidden]

    assert response.status_code == 200
    assert [text for text in texts if text in html] == []


def test_you_said_we_did_for_partner_y_ignores_a_chosen_partner_x(world):
    response = client_for(world, "partner_y").get(
        _url("library:you_said_we_did"), {"partner": world.partner_x.pk}
    )

    assert response.status_code == 200
    assert "Partner X NHS Trust" not in response.content.decode()


# --- Secret links: the token in the address is the credential ----------------------------------


def _tampered(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def test_calendar_feed_is_the_token_owner_s_whoever_asks(world):
    feed_a = client_for(world, "participant_b").get(_url("calendar:feed", token=world.calendar_token_a))
    feed_b = client_for(world, "participant_b").get(_url("calendar:feed", token=world.calendar_token_b))

    assert (feed_a.status_code, feed_b.status_code) == (200, 200)
    assert world.opportunity_x.title in feed_a.content.decode()
    assert world.opportunity_x.title not in feed_b.content.decode()


@pytest.mark.parametrize("visitor", ["anonymous", "participant_a", "team"])
def test_calendar_feed_with_a_tampered_token_is_404(world, visitor):
    response = client_for(world, visitor).get(_url("calendar:feed", token=_tampered(world.calendar_token_a)))

    assert response.status_code == 404


def test_calendar_feed_s_old_token_is_404_after_a_reset(world):
    client_for(world, "participant_a").post(_url("calendar:reset"))

    response = client_for(world, "anonymous").get(_url("calendar:feed", token=world.calendar_token_a))

    assert response.status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_unsubscribe_with_a_tampered_token_is_404_and_keeps_reminders_on(world, method):
    url = _url("accounts:unsubscribe", token=_tampered(world.unsubscribe_token_a))

    assert _unchanged(world, "anonymous", method, url) == 404


def test_unsubscribe_with_another_link_s_signed_token_is_404(world):
    # Signed with the portal's key but for the line manager's link: the salt keeps them apart.
    url = _url("accounts:unsubscribe", token=world.manager_token_a)

    assert _unchanged(world, "anonymous", "post", url) == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_line_manager_link_with_a_tampered_token_is_404(world, method):
    url = _url("bookings:manager", token=_tampered(world.manager_token_a))

    assert _unchanged(world, "anonymous", method, url) == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_partner_invitation_with_a_tampered_token_is_404(world, method):
    url = _url("partners:invitation_accept", token=_tampered(world.invitation_x_token))

    assert _unchanged(world, "anonymous", method, url) == 404


# --- Exports, surveys, the outbox -----------------------------------------------------------------


def test_export_download_of_another_team_member_s_job_is_404(world):
    client = client_for(world, "team")

    own = client.get(_url("reports:download", job_id=world.export_job_team.pk))
    other = client.get(_url("reports:download", job_id=world.export_job_other.pk))
    missing = client.get(_url("reports:download", job_id=world.export_job_other.pk + 1000))

    assert (own.status_code, other.status_code, missing.status_code) == (200, 404, 404)
    assert own["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("visitor", ["participant_a", "participant_b", "partner_x", "partner_y"])
def test_export_download_is_403_for_everyone_outside_the_team(world, visitor):
    response = client_for(world, visitor).get(_url("reports:download", job_id=world.export_job_team.pk))

    assert response.status_code == 403


@pytest.mark.parametrize("visitor", ["participant_b", "partner_x", "partner_y", "team"])
def test_survey_answer_is_404_for_someone_not_invited(world, visitor):
    answer = _url("surveys:answer", survey_id=world.survey.pk)
    thanks = _url("surveys:thanks", survey_id=world.survey.pk)
    question = world.survey.questions.get()

    assert _unchanged(world, visitor, "get", answer) == 404
    assert _unchanged(world, visitor, "post", answer, {f"q{question.pk}": "5"}) == 404
    assert _unchanged(world, visitor, "get", thanks) == 404


def test_survey_answer_opens_for_the_invitee(world):
    assert (
        client_for(world, "participant_a").get(_url("surveys:answer", survey_id=world.survey.pk)).status_code
        == 200
    )


@pytest.mark.parametrize("visitor", ["participant_a", "participant_b", "partner_x", "partner_y"])
def test_outbox_message_pages_are_403_outside_the_team(world, visitor):
    message = world.outbox_message_a

    assert _unchanged(world, visitor, "get", _url("outbox:detail", message_id=message.pk)) == 403
    assert _unchanged(world, visitor, "post", _url("outbox:retry", message_id=message.pk)) == 403
    assert _unchanged(world, visitor, "get", _url("outbox:list")) == 403


DEBRIEF_TEXT = "Most delays start with waiting for a care package"


def test_the_team_reads_the_debrief_text_the_partner_may_not(world):
    url = _url("debriefs:debrief", booking_id=world.booking_a.pk)

    assert DEBRIEF_TEXT in client_for(world, "team").get(url).content.decode()


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("bookings:detail", {"booking_id": "booking_a"}),
        ("preparation:joining_instructions", {"booking_id": "booking_a"}),
        ("debriefs:feedback", {"booking_id": "booking_a"}),
        ("partners:dashboard", {}),
        ("library:you_said_we_did", {}),
    ],
)
def test_partner_x_never_reads_the_unpublished_debrief_of_its_visitor(world, name, kwargs):
    url = _url(name, **{key: getattr(world, attribute).pk for key, attribute in kwargs.items()})
    response = client_for(world, "partner_x").get(url)

    assert response.status_code == 200
    assert DEBRIEF_TEXT not in response.content.decode()
