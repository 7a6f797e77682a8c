from allauth.account.forms import (
    AddEmailForm,
    ChangePasswordForm,
    ConfirmLoginCodeForm,
    LoginForm,
    ReauthenticateForm,
    RequestLoginCodeForm,
    ResetPasswordForm,
    ResetPasswordKeyForm,
    SetPasswordForm,
    SignupForm,
)
from allauth.mfa.base.forms import AuthenticateForm
from allauth.mfa.base.forms import ReauthenticateForm as BaseMFAReauthenticateForm
from allauth.mfa.totp.forms import ActivateTOTPForm
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


class PasswordPairMixin:
    """allauth's "type it twice" password boxes, labelled and checked in GOV.UK words.

    allauth would say "You must type the same password each time."; catching the mismatch first
    (add_error drops password2 from cleaned_data) leaves allauth nothing to compare.
    """

    password_labels: tuple = (_("Password"), _("Confirm password"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in zip(("password1", "password2"), self.password_labels, strict=True):
            if name in self.fields:
                self.fields[name].label = label

    def clean(self):
        password1 = self.cleaned_data.get("password1")
        password2 = self.cleaned_data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("Enter the same password twice"))
        return super().clean()


def _reworded(error: ValidationError, messages: dict) -> ValidationError:
    """allauth's ValidationError in the portal's words, when its code has some."""
    if getattr(error, "code", None) in messages:
        return ValidationError(messages[error.code], code=error.code)
    return error


class ParticipantSignupForm(RequiredMessagesMixin, PasswordPairMixin, ProfileFieldsMixin, SignupForm):
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


class ParticipantAddEmailForm(RequiredMessagesMixin, AddEmailForm):
    """A participant can only move to another allowed address; partner contacts to any."""

    required_messages = {"email": _("Enter the new e-mail address")}

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

    def clean(self):
        try:
            return super().clean()
        except ValidationError as error:
            # Same words for a wrong password and an unknown address: no hint of who has an account.
            raise _reworded(
                error, {"email_password_mismatch": _("Enter a correct e-mail address and password")}
            ) from None


class AccountChangePasswordForm(RequiredMessagesMixin, PasswordPairMixin, ChangePasswordForm):
    required_messages = {
        "oldpassword": _("Enter your current password"),
        "password1": _("Enter a new password"),
        "password2": _("Enter the new password again"),
    }
    password_labels = (_("New password"), _("Confirm new password"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["oldpassword"].label = _("Current password")

    def clean_oldpassword(self):
        try:
            return super().clean_oldpassword()
        except ValidationError as error:
            raise _reworded(
                error, {"enter_current_password": _("Your current password is not correct")}
            ) from None


class AccountSetPasswordForm(RequiredMessagesMixin, PasswordPairMixin, SetPasswordForm):
    required_messages = {"password1": _("Enter a password"), "password2": _("Enter the password again")}


class AccountResetPasswordKeyForm(RequiredMessagesMixin, PasswordPairMixin, ResetPasswordKeyForm):
    required_messages = {
        "password1": _("Enter a new password"),
        "password2": _("Enter the new password again"),
    }
    password_labels = (_("New password"), _("Confirm new password"))


class AccountResetPasswordForm(RequiredMessagesMixin, ResetPasswordForm):
    required_messages = {"email": _("Enter your e-mail address")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("E-mail address")


class AccountRequestLoginCodeForm(RequiredMessagesMixin, RequestLoginCodeForm):
    required_messages = {"email": _("Enter your e-mail address")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("E-mail address")


class AccountConfirmLoginCodeForm(RequiredMessagesMixin, ConfirmLoginCodeForm):
    required_messages = {"code": _("Enter the sign-in code from the e-mail")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = _("Sign-in code")


class AccountReauthenticateForm(RequiredMessagesMixin, ReauthenticateForm):
    required_messages = {"password": _("Enter your password")}


class AuthenticatorCodeMixin(RequiredMessagesMixin):
    """The code box of allauth's two-factor forms: says where the code comes from."""

    required_messages = {"code": _("Enter the code from your authenticator app")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = _("Authenticator code")
        self.fields["code"].help_text = _(
            "The 6-digit code your authenticator app shows now, or one of your recovery codes"
        )


class MFAAuthenticateForm(AuthenticatorCodeMixin, AuthenticateForm):
    pass


class MFAReauthenticateForm(AuthenticatorCodeMixin, BaseMFAReauthenticateForm):
    pass


class MFAActivateTOTPForm(RequiredMessagesMixin, ActivateTOTPForm):
    required_messages = {"code": _("Enter the code from your authenticator app")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = _("The 6-digit code your app shows after you scan the QR code")


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
