"""Reminders after a visit, and the programme team's weekly digest (see `connecting.reminders`).

As for the booking reminders, each is an outbox message whose key names the occasion, so the
scheduler may run any number of times; rows are claimed with SKIP LOCKED.
"""

import datetime

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from connecting.accounts.models import Role, User
from connecting.working_days import add_working_days, london_at
from debriefs.models import Debrief, DebriefStatus
from placements.models import Booking, BookingStatus
from placements.notifications import reminder_enqueue, reminder_keys_taken
from placements.services.reminders import VISIT_REMINDER_HOUR, reminders_claim_and_write

DEBRIEF_DUE_HOUR = 17  # "the evening of the visit day"
CHASER_WORKING_DAYS = (3, 10)
DIGEST_WEEKDAY, DIGEST_HOUR = 0, 8  # Monday, 8am London
OVERDUE_AFTER_DAYS = 14


def _debrief_url(booking: Booking) -> str:
    return settings.SITE_URL + reverse("debriefs:debrief", args=[booking.pk])


def debrief_reminder_times(booking: Booking) -> dict[str, datetime.datetime]:
    """When each debrief reminder of a visit falls due: the evening of its last day, then 9am
    3 and 10 working days later (the partner's nation)."""
    ends = timezone.localtime(booking.slot.ends_at)
    nation = booking.slot.opportunity.partner.nation
    times = {"debrief_due": max(london_at(ends.date(), DEBRIEF_DUE_HOUR), booking.slot.ends_at)}
    for days in CHASER_WORKING_DAYS:
        times[f"debrief_chase_{days}"] = london_at(
            add_working_days(ends.date(), days, nation), VISIT_REMINDER_HOUR
        )
    return times


def debrief_reminders_write(*, now: datetime.datetime) -> int:
    """The participant of a visit with no submitted debrief: 'debrief due' on the evening of the
    visit, then a chaser 3 and 10 working days later. Only the latest reminder due is sent, so
    a scheduler back from an outage does not send three at once."""

    def planned(booking: Booking):
        due = [(kind, at) for kind, at in debrief_reminder_times(booking).items() if at <= now]
        if not due:
            return
        kind, _at = due[-1]
        key = f"reminder.{kind}:{booking.pk}"
        yield key, _debrief_reminder(booking, kind, key)

    candidates = (
        Booking.objects.select_related("participant", "slot__opportunity__partner")
        .filter(status__in=(BookingStatus.CONFIRMED, BookingStatus.ATTENDED))
        .filter(slot__ends_at__lte=now, slot__ends_at__gt=now - datetime.timedelta(days=30))
        .filter(Q(debrief__isnull=True) | Q(debrief__status=DebriefStatus.DRAFT))
        .order_by("slot__ends_at", "pk")
    )
    return reminders_claim_and_write(candidates, planned=planned)


def _debrief_reminder(booking: Booking, kind: str, key: str):
    partner = booking.slot.opportunity.partner.name
    if kind == "debrief_due":
        subject = _("Your debrief of your visit to %(partner)s") % {"partner": partner}
        lines = [
            _("Thank you for visiting %(partner)s today.") % {"partner": partner},
            _(
                "While it is fresh, tell us what you learnt: what works, what does not, and what it means for policy."
            ),
        ]
    else:
        subject = _("Reminder: your debrief of your visit to %(partner)s") % {"partner": partner}
        lines = [
            _("We have not yet had your debrief of your visit to %(partner)s.") % {"partner": partner},
            _("It takes about 15 minutes, and it is how what you saw reaches policy."),
        ]

    def write() -> bool:
        return reminder_enqueue(
            key=key,
            kind=f"reminder.{kind}",
            recipient=booking.participant,
            subject=subject,
            lines=lines,
            link_url=_debrief_url(booking),
            link_label=_("Write your debrief"),
        )

    return write


# --- The weekly digest -----------------------------------------------------------------------


def digest_due_at(now: datetime.datetime) -> datetime.datetime:
    today = timezone.localtime(now).date()
    monday = today - datetime.timedelta(days=(today.weekday() - DIGEST_WEEKDAY) % 7)
    return london_at(monday, DIGEST_HOUR)


def digest_contents(*, now: datetime.datetime) -> dict:
    """The figures of the programme team's weekly digest, as of `now`."""
    from debriefs.selectors.rollup import theme_movers

    week_ago = now - datetime.timedelta(days=7)
    queue = Debrief.objects.filter(status__in=(DebriefStatus.SUBMITTED, DebriefStatus.IN_REVIEW))
    oldest = queue.order_by("submitted_at").values_list("submitted_at", flat=True).first()
    overdue = (
        Booking.objects.filter(status__in=(BookingStatus.CONFIRMED, BookingStatus.ATTENDED))
        .filter(slot__ends_at__lt=now - datetime.timedelta(days=OVERDUE_AFTER_DAYS))
        .filter(slot__ends_at__gt=now - datetime.timedelta(days=365))
        .filter(Q(debrief__isnull=True) | Q(debrief__status=DebriefStatus.DRAFT))
        .count()
    )
    return {
        "new_debriefs": Debrief.objects.filter(submitted_at__gte=week_ago, submitted_at__lt=now).count(),
        "overdue_debriefs": overdue,
        "review_queue": queue.count(),
        "oldest_waiting_days": (now - oldest).days if oldest else None,
        "theme_movers": theme_movers(today=timezone.localtime(now).date()),
    }


def _digest_lines(contents: dict) -> tuple[list[str], list[tuple[str, str]]]:
    lines = [_("Here is how the programme's learning stands this week.")]
    details = [
        (_("New debriefs in the last 7 days"), str(contents["new_debriefs"])),
        (_("Visits more than two weeks ago with no debrief"), str(contents["overdue_debriefs"])),
        (_("Debriefs waiting for review"), str(contents["review_queue"])),
    ]
    if contents["oldest_waiting_days"] is not None:
        details.append(
            (
                _("Longest wait for review"),
                ngettext("%(days)d day", "%(days)d days", contents["oldest_waiting_days"])
                % {"days": contents["oldest_waiting_days"]},
            )
        )
    for movement in contents["theme_movers"]:
        details.append(
            (
                _("Theme: %(theme)s") % {"theme": movement.theme_name},
                _("%(count)d debriefs last month (%(change)+d on the month before)")
                % {"count": movement.count, "change": movement.change},
            )
        )
    if not contents["theme_movers"]:
        lines.append(_("No theme moved between the last two months."))
    return lines, details


def weekly_digest_write(*, now: datetime.datetime) -> int:
    """Every Monday from 8am (London), each active member of the programme team gets the week's
    digest, once; a scheduler that was down catches up until Tuesday 8am, and not after."""
    due_at = digest_due_at(now)
    if not due_at <= now < due_at + datetime.timedelta(days=1):
        return 0
    year, week, _day = timezone.localtime(due_at).isocalendar()
    team = list(User.objects.filter(role=Role.PROGRAMME_TEAM, is_active=True).order_by("pk"))
    keys = {member.pk: f"digest.weekly:{member.pk}:{year}-W{week:02d}" for member in team}
    taken = reminder_keys_taken(keys.values())
    waiting = [member for member in team if keys[member.pk] not in taken]
    if not waiting:
        return 0
    lines, details = _digest_lines(digest_contents(now=now))
    return sum(
        reminder_enqueue(
            key=keys[member.pk],
            kind="digest.weekly",
            recipient=member,
            subject=_("Your weekly digest"),
            lines=lines,
            details=details,
            link_url=settings.SITE_URL + reverse("review:queue"),
            link_label=_("Open the review queue"),
        )
        for member in waiting
    )
