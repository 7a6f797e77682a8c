from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Sector(models.TextChoices):
    ACUTE_NHS_TRUST = "acute_nhs_trust", _("Acute NHS trust")
    MENTAL_HEALTH_TRUST = "mental_health_trust", _("Mental health trust")
    PRIMARY_CARE = "primary_care", _("Primary care / GP practice")
    HOSPICE = "hospice", _("Hospice")
    CARE_HOME = "care_home", _("Care home / social care")
    LOCAL_AUTHORITY = "local_authority", _("Local authority")
    POLICE = "police", _("Police")
    PROBATION_JUSTICE = "probation_justice", _("Probation / justice")
    FIRE_AND_RESCUE = "fire_and_rescue", _("Fire and rescue")
    CHARITY = "charity", _("Charity / voluntary sector")
    EDUCATION = "education", _("Education")
    OTHER = "other", _("Other")


class Region(models.TextChoices):
    NORTH_EAST = "north_east", _("North East")
    NORTH_WEST = "north_west", _("North West")
    YORKSHIRE_AND_THE_HUMBER = "yorkshire_and_the_humber", _("Yorkshire and the Humber")
    EAST_MIDLANDS = "east_midlands", _("East Midlands")
    WEST_MIDLANDS = "west_midlands", _("West Midlands")
    EAST_OF_ENGLAND = "east_of_england", _("East of England")
    LONDON = "london", _("London")
    SOUTH_EAST = "south_east", _("South East")
    SOUTH_WEST = "south_west", _("South West")
    WALES = "wales", _("Wales")
    SCOTLAND = "scotland", _("Scotland")
    NORTHERN_IRELAND = "northern_ireland", _("Northern Ireland")


class PartnerStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    ARCHIVED = "archived", _("Archived")


class Nation(models.TextChoices):
    """The nations whose bank holidays differ; working days are counted in the partner's nation."""

    ENGLAND = "england", _("England")
    WALES = "wales", _("Wales")
    SCOTLAND = "scotland", _("Scotland")
    NORTHERN_IRELAND = "northern_ireland", _("Northern Ireland")


REGION_NATION = {
    Region.WALES: Nation.WALES,
    Region.SCOTLAND: Nation.SCOTLAND,
    Region.NORTHERN_IRELAND: Nation.NORTHERN_IRELAND,
}


class Partner(models.Model):
    """An organisation that hosts visits: NHS trust, hospice, council, police force, charity..."""

    name = models.CharField(_("name"), max_length=200)
    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices)
    region = models.CharField(_("region"), max_length=32, choices=Region.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=PartnerStatus.choices, default=PartnerStatus.INVITED
    )
    address_line_1 = models.CharField(_("address line 1"), max_length=200, blank=True)
    address_line_2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    town = models.CharField(_("town or city"), max_length=100, blank=True)
    postcode = models.CharField(_("postcode"), max_length=8, blank=True)
    website = models.URLField(_("website"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    vetting_requirements = models.TextField(_("vetting requirements"), blank=True)
    # Capacity protection: frontline services must not be overwhelmed. Empty means no cap.
    max_visitors_per_week = models.PositiveSmallIntegerField(
        _("most visitors in one week"), null=True, blank=True
    )
    max_visitors_per_month = models.PositiveSmallIntegerField(
        _("most visitors in one month"), null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            # Browse by sector and region reads the active partners of one region and sector
            # (docs/performance.md): 0.25 ms instead of a scan of every partner. Not partial: the
            # browse fingerprint is a prepared statement, whose status is a parameter.
            models.Index(fields=["sector", "region", "status"], name="partners_sector_region_status"),
        ]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="partners_partner_name_unique_ci"),
            models.CheckConstraint(
                condition=models.Q(sector__in=Sector.values), name="partners_partner_sector_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(region__in=Region.values), name="partners_partner_region_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=PartnerStatus.values), name="partners_partner_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(max_visitors_per_week__isnull=True)
                | models.Q(max_visitors_per_week__gte=1),
                name="partners_partner_weekly_cap_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(max_visitors_per_month__isnull=True)
                | models.Q(max_visitors_per_month__gte=1),
                name="partners_partner_monthly_cap_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def nation(self) -> Nation:
        return REGION_NATION.get(self.region, Nation.ENGLAND)

    @property
    def address_lines(self) -> list[str]:
        parts = [self.address_line_1, self.address_line_2, self.town, self.postcode]
        return [part for part in parts if part]


class PartnerBlackout(models.Model):
    """Dates on which a partner takes no visitors (winter pressures, inspections, ...)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="blackouts")
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="partners_blackout_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner}: no visits {self.starts_on} to {self.ends_on}"


class PartnerMembership(models.Model):
    """A person acting for a partner. An admin contact may invite colleagues."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_memberships"
    )
    is_admin = models.BooleanField(_("partner admin"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["partner__name", "user__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "user"], name="partners_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.partner}"


class PartnerInvitation(models.Model):
    """A single-use, expiring invitation for one person to act for one partner.

    Only a hash of the token is stored: the link in the e-mail is the only copy of the secret.
    """

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    is_admin = models.BooleanField(_("partner admin"), default=False)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="partner_invitations_sent",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "partner",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="partners_invitation_one_open_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to {self.partner}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()
