from django.db import models
from django.utils.translation import gettext_lazy as _


class Programme(models.Model):
    """A scheme that sends people out to partners, such as a department's "Connecting" programme.

    Cohorts, enrolment, opportunities and the booking policy arrive with the programmes issue.
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    owner_organisation = models.CharField(_("owner organisation"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    target_days_per_participant = models.PositiveSmallIntegerField(
        _("target days per participant per year"), default=2
    )
    starts_on = models.DateField(_("start date"))
    ends_on = models.DateField(_("end date"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="placements_programme_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name
