import datetime
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from connecting.accounts.models import Role
from connecting.audit.models import AuditVerb
from connecting.audit.services import audit_record
from connecting.outbox import outbox_enqueue
from connecting.postcodes import postcode_normalise
from partners.models import Partner, PartnerBlackout, PartnerInvitation, PartnerMembership, PartnerStatus
from partners.selectors import invitation_token_hash, user_exists_with_email

User = get_user_model()


class InvitationUnusable(Exception):
    """The invitation cannot be used; `reason` says why in words for the person holding the link."""

    def __init__(self, reason: str, title: str):
        super().__init__(reason)
        self.reason = reason
        self.title = title

    @classmethod
    def not_found(cls) -> "InvitationUnusable":
        return cls(
            _("Check that you copied the whole link from the e-mail."),
            title=_("This invitation link is not valid"),
        )

    @classmethod
    def account_exists(cls, email: str) -> "InvitationUnusable":
        return cls(
            _("An account already uses %(email)s. Sign in to accept the invitation.") % {"email": email},
            title=_("You already have an account"),
        )


def partner_invitation_check(*, invitation: PartnerInvitation) -> None:
    """Raise InvitationUnusable, saying why, when the invitation can no longer be accepted."""
    if invitation.accepted_at is not None:
        raise InvitationUnusable(
            _(
                "This invitation has already been used. If it was you, sign in with the e-mail address it was sent to."
            ),
            title=_("This invitation has already been used"),
        )
    if invitation.revoked_at is not None:
        raise InvitationUnusable(
            _(
                "This invitation was withdrawn or replaced by a newer one. Use the link in the most recent e-mail."
            ),
            title=_("This invitation is no longer valid"),
        )
    if invitation.expires_at <= timezone.now():
        raise InvitationUnusable(
            _("Invitations last %(days)d days. Ask the person who invited you to send a new one.")
            % {"days": settings.PARTNER_INVITATION_VALID_DAYS},
            title=_("This invitation has expired"),
        )


@transaction.atomic
def partner_contact_invite(
    *, partner: Partner, email: str, invited_by, is_admin: bool = False
) -> PartnerInvitation:
    """Invite `email` to act for `partner` and e-mail them a single-use link once this commits.

    An earlier open invitation to the same person for the same partner is revoked, so only the
    newest link works.
    """
    email = User.objects.normalize_email(email).strip().lower()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None and existing.role != Role.PARTNER_CONTACT:
        raise ValidationError(
            {
                "email": _(
                    "This e-mail address belongs to a %(role)s account, which cannot act for a partner."
                )
                % {"role": existing.get_role_display().lower()}
            }
        )
    if existing is not None and PartnerMembership.objects.filter(partner=partner, user=existing).exists():
        raise ValidationError(
            {"email": _("This person is already a contact for %(partner)s.") % {"partner": partner}}
        )

    now = timezone.now()
    PartnerInvitation.objects.filter(
        partner=partner, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = PartnerInvitation.objects.create(
        partner=partner,
        email=email,
        is_admin=is_admin,
        token_hash=invitation_token_hash(token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + timedelta(days=settings.PARTNER_INVITATION_VALID_DAYS),
    )
    accept_url = settings.SITE_URL + reverse("partners:invitation_accept", kwargs={"token": token})
    # In this transaction: the invitation and its e-mail are saved together or not at all.
    outbox_enqueue(
        key=f"partner-invitation:{invitation.pk}",
        kind="partner.invitation",
        to=[email],
        template_prefix="partners/email/invitation",
        context={"invitation": invitation, "accept_url": accept_url, "invited_by": invited_by},
    )
    return invitation


def _invitation_lock(token: str) -> PartnerInvitation:
    invitation = (
        PartnerInvitation.objects.select_for_update()
        .select_related("partner")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )
    if invitation is None:
        raise InvitationUnusable.not_found()
    partner_invitation_check(invitation=invitation)
    return invitation


def _invitation_complete(invitation: PartnerInvitation, user) -> None:
    PartnerMembership.objects.get_or_create(
        partner=invitation.partner, user=user, defaults={"is_admin": invitation.is_admin}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        actor=user,
        verb=AuditVerb.ROLE_CHANGED,
        obj=user,
        description=f"Partner contact of partner {invitation.partner_id}"
        + (" (admin)" if invitation.is_admin else ""),
        partner_id=invitation.partner_id,
        invitation_id=invitation.pk,
    )


@transaction.atomic
def partner_invitation_accept_new_account(*, token: str, full_name: str, job_title: str, password: str):
    """Create the invitee's account from the invitation and make them a contact of the partner.

    The invitation row is locked first, so two submissions of the same link create one account.
    The e-mail address counts as verified: the invitee proved it by opening the link.
    """
    invitation = _invitation_lock(token)
    if user_exists_with_email(email=invitation.email):
        raise InvitationUnusable.account_exists(invitation.email)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=invitation.email,
                password=password,
                full_name=full_name,
                job_title=job_title,
                organisation=invitation.partner.name,
                role=Role.PARTNER_CONTACT,
            )
    except IntegrityError as error:  # the same address signed up a moment ago
        raise InvitationUnusable.account_exists(invitation.email) from error
    EmailAddress.objects.create(user=user, email=invitation.email, primary=True, verified=True)
    _invitation_complete(invitation, user)
    return user


@transaction.atomic
def partner_invitation_accept_existing_account(*, token: str, user) -> PartnerMembership:
    """Add an existing partner contact (signed in as the invited address) to another partner."""
    invitation = _invitation_lock(token)
    if user.email.lower() != invitation.email.lower() or user.role != Role.PARTNER_CONTACT:
        raise InvitationUnusable(
            _("This invitation was sent to %(email)s. Sign out, then open the link again.")
            % {"email": invitation.email},
            title=_("This invitation is for someone else"),
        )
    _invitation_complete(invitation, user)
    return PartnerMembership.objects.get(partner=invitation.partner, user=user)


# --- Partner profile, status and capacity protection --------------------------------------------

MAX_VISITORS_CAP = 500
"""The largest weekly or monthly visitor cap; a bigger number would protect nobody and is likely a typo."""

PARTNER_IDENTITY_FIELDS = ("name", "sector", "region")
PARTNER_PROFILE_FIELDS = (
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "website",
    "description",
    "vetting_requirements",
)
PARTNER_CAPACITY_FIELDS = ("max_visitors_per_week", "max_visitors_per_month")
PARTNER_EDITABLE_FIELDS = PARTNER_IDENTITY_FIELDS + PARTNER_PROFILE_FIELDS + PARTNER_CAPACITY_FIELDS

_S = PartnerStatus
# "Invited" only says the organisation is set up and has not started; nothing moves back to it.
PARTNER_STATUS_MOVES: dict[str, set[str]] = {
    _S.INVITED: {_S.ACTIVE, _S.PAUSED, _S.ARCHIVED},
    _S.ACTIVE: {_S.PAUSED, _S.ARCHIVED},
    _S.PAUSED: {_S.ACTIVE, _S.ARCHIVED},
    _S.ARCHIVED: {_S.ACTIVE, _S.PAUSED},
}

_NAME_CONSTRAINT = "partners_partner_name_unique_ci"
_ONE_LINE_FIELDS = ("name", "address_line_1", "address_line_2", "town")
_TEXT_FIELDS = (*_ONE_LINE_FIELDS, "postcode", "website", "description", "vetting_requirements")


def _fold_spaces(value: str) -> str:
    return " ".join(value.split())


def _name_taken_message(name: str) -> str:
    return _(
        "A partner called “%(name)s” already exists. Names must be different, whatever their capital letters."
    ) % {"name": name}


def _cap_message(field: str) -> str:
    if field == "max_visitors_per_week":
        return _("The most visitors in one week must be a whole number from 1 to %(max)d") % {
            "max": MAX_VISITORS_CAP
        }
    return _("The most visitors in one month must be a whole number from 1 to %(max)d") % {
        "max": MAX_VISITORS_CAP
    }


def _partner_clean(partner: Partner) -> None:
    """Tidy every editable field of `partner` in place and raise one ValidationError naming each problem.

    The forms check the same things first; this makes the rules hold for any caller.
    """
    errors: dict[str, list[str]] = {}
    for field in _TEXT_FIELDS:
        value = getattr(partner, field) or ""
        if "\x00" in value:
            errors[field] = [_("Remove the null character from this answer.")]
        setattr(partner, field, _fold_spaces(value) if field in _ONE_LINE_FIELDS else value.strip())

    if not partner.name:
        errors.setdefault("name", [_("Enter the partner's name")])
    elif "name" not in errors and (
        Partner.objects.alias(lower_name=Lower("name"))
        .filter(lower_name=Lower(Value(partner.name)))
        .exclude(pk=partner.pk)
        .exists()
    ):
        errors["name"] = [_name_taken_message(partner.name)]

    if partner.postcode and "postcode" not in errors:
        try:
            partner.postcode = postcode_normalise(partner.postcode)
        except ValidationError as error:
            errors["postcode"] = error.messages

    if (
        partner.website
        and "website" not in errors
        and urlsplit(partner.website).scheme.lower()
        not in (
            "http",
            "https",
        )
    ):
        errors["website"] = [_("Enter a website address that starts with https:// or http://")]

    for field in PARTNER_CAPACITY_FIELDS:
        value = getattr(partner, field)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_VISITORS_CAP
        ):
            errors[field] = [_cap_message(field)]
    week, month = partner.max_visitors_per_week, partner.max_visitors_per_month
    if not set(PARTNER_CAPACITY_FIELDS) & set(errors) and week and month and month < week:
        errors["max_visitors_per_month"] = [
            _(
                "The most visitors in one month cannot be fewer than the most in one week (%(week)d). "
                "Raise it, or leave it blank for no monthly limit."
            )
            % {"week": week}
        ]

    try:
        partner.full_clean(exclude=list(errors), validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _partner_save(partner: Partner, update_fields: list[str] | None = None) -> None:
    # The check in _partner_clean can race a second request creating the same name: the
    # database constraint decides, and the loser gets the same message on the name field.
    try:
        with transaction.atomic():
            partner.save(update_fields=update_fields)
    except IntegrityError as error:
        if _NAME_CONSTRAINT in str(error):
            raise ValidationError({"name": [_name_taken_message(partner.name)]}) from error
        raise


def _partner_lock(partner: Partner) -> Partner:
    """The partner's row, locked. Bookings take the same lock to check caps and blackouts."""
    return Partner.objects.select_for_update(no_key=True).get(pk=partner.pk)


@transaction.atomic
def partner_create(
    *,
    name: str,
    sector: str,
    region: str,
    by,
    address_line_1: str = "",
    address_line_2: str = "",
    town: str = "",
    postcode: str = "",
    website: str = "",
    description: str = "",
    vetting_requirements: str = "",
    max_visitors_per_week: int | None = None,
    max_visitors_per_month: int | None = None,
    first_contact_email: str = "",
) -> Partner:
    """Create a partner with status "invited" and, if `first_contact_email` is given, invite that
    person as its first partner admin.

    The invitation is part of the same transaction: when it is refused (the address belongs to a
    participant, say) the partner is not saved either, and the e-mail goes only after the commit.
    """
    partner = Partner(
        name=name,
        sector=sector,
        region=region,
        status=PartnerStatus.INVITED,
        address_line_1=address_line_1,
        address_line_2=address_line_2,
        town=town,
        postcode=postcode,
        website=website,
        description=description,
        vetting_requirements=vetting_requirements,
        max_visitors_per_week=max_visitors_per_week,
        max_visitors_per_month=max_visitors_per_month,
    )
    _partner_clean(partner)
    _partner_save(partner)
    if first_contact_email:
        try:
            partner_contact_invite(partner=partner, email=first_contact_email, invited_by=by, is_admin=True)
        except ValidationError as error:
            raise ValidationError({"first_contact_email": error.messages}) from error
    return partner


@transaction.atomic
def partner_update(*, partner: Partner, data: Mapping[str, Any], by) -> Partner:
    """Change the fields named in `data` (identity, profile or caps) and return the saved partner.

    Status is not among them: it moves only through partner_status_set. Which fields a person may
    change is the view's question (partners.permissions); this checks the values. The row is locked
    so that a booking checking the caps sees either the old caps or the new ones, never a mixture.
    """
    unknown = set(data) - set(PARTNER_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"partner_update cannot change {sorted(unknown)}")
    locked = _partner_lock(partner)
    for field, value in data.items():
        setattr(locked, field, value)
    _partner_clean(locked)
    _partner_save(locked, update_fields=[*data, "updated_at"])
    return locked


@transaction.atomic
def partner_status_set(*, partner: Partner, status: str, by) -> Partner:
    """Move the partner to `status` (active, paused or archived).

    Setting the status it already has changes nothing, because double clicks happen.
    """
    if status not in PartnerStatus.values:
        raise ValidationError({"status": _("Choose active, paused or archived")})
    locked = _partner_lock(partner)
    if locked.status == status:
        return locked
    if status not in PARTNER_STATUS_MOVES[locked.status]:
        raise ValidationError(
            {
                "status": _("A partner cannot go back to “%(status)s”.")
                % {"status": PartnerStatus(status).label}
            }
        )
    locked.status = status
    locked.save(update_fields=["status", "updated_at"])
    return locked


@transaction.atomic
def partner_blackout_add(
    *, partner: Partner, starts_on: datetime.date, ends_on: datetime.date, reason: str, by
) -> PartnerBlackout:
    """Close the partner to new visits from `starts_on` to `ends_on`, both days included.

    Blackouts may overlap: each keeps its own reason, and a day is closed while any of them covers
    it. Bookings already made for those days are left alone. The partner row is locked, as a
    booking checks blackouts under the same lock.
    """
    reason = _fold_spaces(reason or "")
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = _("Enter the reason, for example winter pressures")
    elif "\x00" in reason:
        errors["reason"] = _("Remove the null character from this answer.")
    elif len(reason) > PartnerBlackout._meta.get_field("reason").max_length:
        errors["reason"] = _("Enter a reason of 200 characters or fewer")
    if ends_on < starts_on:
        errors["ends_on"] = _("The last day must be the same as or after the first day")
    elif ends_on < timezone.localdate():
        errors["ends_on"] = _(
            "The last day must be today or later: a blackout cannot be entirely in the past"
        )
    if errors:
        raise ValidationError(errors)
    _partner_lock(partner)
    return PartnerBlackout.objects.create(
        partner=partner, starts_on=starts_on, ends_on=ends_on, reason=reason, created_by=by
    )


@transaction.atomic
def partner_blackout_remove(*, partner: Partner, blackout_id: int, by) -> bool:
    """Delete one of the partner's blackouts, reopening its days to bookings.

    Answers False, changing nothing, when there is no such blackout for this partner: it was
    removed a moment ago (a double click) or belongs to someone else.
    """
    _partner_lock(partner)
    deleted, _counts = PartnerBlackout.objects.filter(partner=partner, pk=blackout_id).delete()
    return deleted > 0
