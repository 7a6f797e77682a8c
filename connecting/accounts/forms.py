from allauth.account.forms import AddEmailForm, LoginForm, SignupForm
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fluid, Layout, Submit
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from connecting.accounts.models import Grade, User
from connecting.accounts.roles import is_participant
from connecting.forms import FullNameField, RequiredMessagesMixin


def email_domain_is_allowed(email: str) -> bool:
    """True when the address is on an allowed domain or one of its subdomains.

    `gov.uk` admits `dhsc.gov.uk` but not `notgov.uk`: the match is on whole labels.
    """
    domain = email.rsplit("@", 1)[-1].strip().lower().rstrip(".")
    return any(
        domain == allowed or domain.endswith("." + allowed)
        for allowed in settings.SIGNUP_ALLOWED_EMAIL_DOMAINS
    )


def validate_signup_email_domain(email: str) -> None:
    if not email_domain_is_allowed(email):
        allowed = ", ".join(settings.SIGNUP_ALLOWED_EMAIL_DOMAINS)
        raise ValidationError(
            _(
                "Enter your work e-mail address. Accounts can only be created with an address "
                "ending in %(allowed)s. Partner organisations join by invitation from the programme team."
            ),
            code="email_domain_not_allowed",
            params={"allowed": allowed},
        )


class ProfileFieldsMixin(forms.Form):
    full_name = FullNameField()
    job_title = forms.CharField(label=_("Job title"), max_length=150, required=False)
    organisation = forms.CharField(
        label=_("Department or organisation"),
        max_length=150,
        required=False,
        help_text=_("For example, Department of Health and Social Care"),
    )
    directorate = forms.CharField(label=_("Directorate or team"), max_length=150, required=False)
    grade = forms.ChoiceField(
        label=_("Grade"), choices=[("", _("Choose your grade"))] + Grade.choices, required=False
    )


class ParticipantSignupForm(RequiredMessagesMixin, ProfileFieldsMixin, SignupForm):
    """allauth's sign-up form, limited to allowed domains and asking for the participant's profile."""

    required_messages = {
        "email": _("Enter your work e-mail address"),
        "password1": _("Enter a password"),
        "password2": _("Enter the password again"),
    }

    field_order = [
        "email",
        "full_name",
        "job_title",
        "organisation",
        "directorate",
        "grade",
        "password1",
        "password2",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("Work e-mail address")
        self.fields["email"].help_text = _("You will need to confirm it: we will send you a link.")

    def clean_email(self):
        validate_signup_email_domain(self.cleaned_data["email"])
        return super().clean_email()


class ParticipantAddEmailForm(AddEmailForm):
    """A participant can only move to another allowed address; partner contacts to any."""

    def clean_email(self):
        if is_participant(self.user):
            validate_signup_email_domain(self.cleaned_data["email"])
        return super().clean_email()


class ParticipantLoginForm(RequiredMessagesMixin, LoginForm):
    required_messages = {"login": _("Enter your e-mail address"), "password": _("Enter your password")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = _("E-mail address")
        # The page has its own "Forgotten your password?" link below the button.
        self.fields["password"].help_text = ""


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "job_title", "organisation", "directorate", "grade"]
        labels = {"organisation": _("Department or organisation"), "directorate": _("Directorate or team")}
        field_classes = {"full_name": FullNameField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [("", _("Choose your grade"))] + Grade.choices
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("full_name", field_width=Fluid.TWO_THIRDS),
            Field.text("job_title", field_width=Fluid.TWO_THIRDS),
            Field.text("organisation", field_width=Fluid.TWO_THIRDS),
            Field.text("directorate", field_width=Fluid.TWO_THIRDS),
            Field.select("grade"),
            Submit("submit", _("Save changes")),
        )
