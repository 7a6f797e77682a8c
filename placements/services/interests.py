from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from connecting.accounts.roles import is_participant
from connecting.postcodes import postcode_normalise
from partners.models import Sector
from placements.models import ParticipantInterests, Theme

LEARNING_OBJECTIVE_MAX_LENGTH = 2_000


@transaction.atomic
def participant_interests_save(
    *,
    participant,
    policy_areas: Iterable[Theme],
    sectors: Iterable[str],
    base_postcode: str,
    learning_objective: str,
) -> ParticipantInterests:
    """Record what a participant wants to learn about, replacing their previous answers.

    The browse page recommends opportunities from these. Sectors are stored in the fixed order of
    the sector list, without repeats; the postcode in its canonical form ("SW1A 2AA"). Raises
    ValidationError, keyed by field, and saves nothing, when any answer is not acceptable.
    """
    if not is_participant(participant):
        raise ValidationError(_("Only participants record interests."))
    errors = {}
    chosen_sectors = set(sectors)
    if not chosen_sectors <= set(Sector.values):
        errors["sectors"] = _("Choose sectors from the list")
    base_postcode = (base_postcode or "").strip()
    if base_postcode:
        try:
            base_postcode = postcode_normalise(base_postcode)
        except ValidationError as error:
            errors["base_postcode"] = error.messages
    learning_objective = (learning_objective or "").strip()
    if len(learning_objective) > LEARNING_OBJECTIVE_MAX_LENGTH:
        errors["learning_objective"] = _("Your learning objective must be %(max)d characters or fewer") % {
            "max": LEARNING_OBJECTIVE_MAX_LENGTH
        }
    elif "\x00" in learning_objective:
        errors["learning_objective"] = _("Your learning objective contains characters we cannot store")
    if errors:
        raise ValidationError(errors)

    interests, _created = ParticipantInterests.objects.update_or_create(
        participant=participant,
        defaults={
            "sectors": [value for value in Sector.values if value in chosen_sectors],
            "base_postcode": base_postcode,
            "learning_objective": learning_objective,
        },
    )
    interests.policy_areas.set(policy_areas)
    return interests
