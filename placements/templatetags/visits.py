"""Dates and times of visits, written the GOV.UK way ("Tue 3 Mar 2026, 9:30am to 4pm")."""

import datetime

from django import template
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

register = template.Library()


def govuk_time(moment: datetime.datetime) -> str:
    """9am, 9:30am, midday, midnight: the GOV.UK style guide's times."""
    if moment.minute == 0 and moment.hour in (0, 12):
        return _("midnight") if moment.hour == 0 else _("midday")
    hour = moment.hour % 12 or 12
    clock = f"{hour}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}"
    return f"{clock}{_('am') if moment.hour < 12 else _('pm')}"


@register.filter
def visit_when(slot) -> str:
    """When a slot runs, in local time; the end date is repeated only when it is another day."""
    start = timezone.localtime(slot.starts_at)
    end = timezone.localtime(slot.ends_at)
    day = dateformat.format(start, "D j M Y")
    if start.date() == end.date():
        return _("%(day)s, %(start)s to %(end)s") % {
            "day": day,
            "start": govuk_time(start),
            "end": govuk_time(end),
        }
    return _("%(day)s, %(start)s to %(end_day)s, %(end)s") % {
        "day": day,
        "start": govuk_time(start),
        "end_day": dateformat.format(end, "D j M Y"),
        "end": govuk_time(end),
    }
