"""The host's feedback on a visit."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from debriefs.models import PartnerFeedback, VisitorPrepared, WouldHostAgain
from debriefs.permissions import can_give_partner_feedback
from debriefs.services.common import (
    DebriefRefused,
    lock_booking,
    partner_feedback_check_open,
    personal_data_check,
)
from placements.models import Booking


@transaction.atomic
def partner_feedback_save(
    *,
    booking: Booking,
    by,
    visitor_prepared: str,
    value_to_partner: int,
    would_host_again: str,
    comments: str = "",
    personal_data_confirmed: bool = False,
) -> PartnerFeedback:
    """Give or correct the host's feedback on a visit that has started; one per booking.

    The comments are checked for personal data first, as a debrief is (`PersonalDataWarning`,
    nothing saved), since hosts write about the people the visitor met.
    """
    if not can_give_partner_feedback(by, booking):
        raise PermissionDenied
    booking = lock_booking(booking.pk)
    partner_feedback_check_open(booking, now=timezone.now())
    problems = {}
    if visitor_prepared not in VisitorPrepared.values:
        problems["visitor_prepared"] = _("Select whether the visitor was prepared")
    if value_to_partner not in range(1, 6):
        problems["value_to_partner"] = _("Select the value of the visit to your organisation")
    if would_host_again not in WouldHostAgain.values:
        problems["would_host_again"] = _("Select whether you would host again")
    if problems:
        raise DebriefRefused(problems, code="invalid_choice")
    comments = (comments or "").strip()
    personal_data_check({"comments": comments}, confirmed=personal_data_confirmed)
    feedback, _created = PartnerFeedback.objects.update_or_create(
        booking=booking,
        defaults={
            "visitor_prepared": visitor_prepared,
            "value_to_partner": value_to_partner,
            "would_host_again": would_host_again,
            "comments": comments,
            "given_by": by,
        },
    )
    return feedback
