import secrets
from datetime import timedelta
from functools import partial

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from connecting.accounts.models import Role
from connecting.emails import email_send_templated
from partners.models import Partner, PartnerInvitation, PartnerMembership
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
    transaction.on_commit(
        partial(
            email_send_templated,
            to=[email],
            template_prefix="partners/email/invitation",
            context={"invitation": invitation, "accept_url": accept_url, "invited_by": invited_by},
        )
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
