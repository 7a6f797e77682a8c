from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PARTICIPANT = "participant", _("Participant")
    PARTNER_CONTACT = "partner_contact", _("Partner contact")
    PROGRAMME_TEAM = "programme_team", _("Programme team")


class Grade(models.TextChoices):
    AA = "AA", "AA"
    AO = "AO", "AO"
    EO = "EO", "EO"
    HEO = "HEO", "HEO"
    SEO = "SEO", "SEO"
    G7 = "G7", "Grade 7"
    G6 = "G6", "Grade 6"
    SCS1 = "SCS1", "SCS pay band 1 (Deputy Director)"
    SCS2 = "SCS2", "SCS pay band 2 (Director)"
    SCS3 = "SCS3", "SCS pay band 3 (Director General)"
    SCS4 = "SCS4", "Permanent Secretary"
    OTHER = "other", _("Other or not civil service")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("role", Role.PROGRAMME_TEAM)
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in: a participant, a partner contact or a member of the programme team.

    E-mail is the login. Which role a person has decides what they may do; the checks live in
    `connecting.accounts.roles` and nowhere else.
    """

    email = models.EmailField(_("e-mail address"), max_length=254, unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    organisation = models.CharField(_("department or organisation"), max_length=150, blank=True)
    directorate = models.CharField(_("directorate or team"), max_length=150, blank=True)
    grade = models.CharField(_("grade"), max_length=8, choices=Grade.choices, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.PARTICIPANT)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("staff status"), default=False, help_text=_("Can sign in to the Django admin site.")
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Reminders and digests stop when set; essential e-mails (confirmations, cancellations) still go.
    reminders_off_at = models.DateTimeField(_("reminders turned off"), null=True, blank=True)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        indexes = [
            # The programme team is a handful of people among tens of thousands of participants;
            # the reviewer and owner lists read them in this order.
            models.Index(
                fields=["full_name", "email", "id"],
                condition=models.Q(role=Role.PROGRAMME_TEAM),
                name="accounts_user_team",
            ),
        ]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_unique_ci"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="accounts_user_role_valid"),
            models.CheckConstraint(
                condition=models.Q(grade__in=[*Grade.values, ""]), name="accounts_user_grade_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = self.email.strip().lower()

    def save(self, *args, **kwargs):
        # Addresses are compared case-insensitively everywhere; store them folded once.
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email
