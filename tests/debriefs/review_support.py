"""What the review tests share: debriefs handed in a given time ago, and reading the pages."""

import datetime
import re

from django.utils import timezone

from tests.factories import (
    DebriefFactory,
    OpportunityFactory,
    PartnerFactory,
    PastVisitFactory,
    ProgrammeFactory,
    SlotFactory,
)


def handed_in(
    *,
    status="submitted",
    days_ago=1,
    programme=None,
    partner=None,
    participant=None,
    consent="anonymised",
    themes=(),
    **fields,
):
    """A debrief submitted `days_ago` days ago, of a visit three days before that."""
    programme = programme or ProgrammeFactory()
    partner = partner or PartnerFactory()
    opportunity = OpportunityFactory(
        partner=partner, programmes=[programme], title=f"A day at {partner.name}"
    )
    slot = SlotFactory(opportunity=opportunity, days_ahead=-(days_ago + 3))
    booking_fields = {"slot": slot, "programme": programme, "status": "attended"}
    if participant is not None:
        booking_fields["participant"] = participant
    booking = PastVisitFactory(**booking_fields)
    submitted_at = (
        None if status == "draft" else timezone.now() - datetime.timedelta(days=days_ago, minutes=1)
    )
    debrief = DebriefFactory(
        booking=booking, status=status, submitted_at=submitted_at, consent=consent, **fields
    )
    if themes:
        debrief.themes.set(themes)
    return debrief


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
