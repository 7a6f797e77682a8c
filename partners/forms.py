from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fluid, Layout, Submit
from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from connecting.forms import FullNameField, RequiredMessagesMixin


class PartnerContactInviteForm(RequiredMessagesMixin, forms.Form):
    required_messages = {"email": _("Enter the e-mail address of the person to invite")}

    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("We will send a link that works once and lasts 14 days."),
    )
    is_admin = forms.BooleanField(
        label=_("Make them a partner admin (they can invite colleagues and edit the profile)"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("email", field_width=Fluid.TWO_THIRDS, autocomplete="off", spellcheck="false"),
            Field.checkbox("is_admin", small=True),
            Submit("invite", _("Send invitation")),
        )


class InvitationAcceptForm(RequiredMessagesMixin, forms.Form):
    """The invitee names themselves and chooses a password; the e-mail comes from the invitation."""

    required_messages = {
        "password1": _("Create a password"),
        "password2": _("Enter the password again"),
    }

    full_name = FullNameField()
    job_title = forms.CharField(label=_("Job title"), max_length=150, required=False)
    password1 = forms.CharField(
        label=_("Create a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters. Avoid common words and your name."),
    )
    password2 = forms.CharField(
        label=_("Confirm your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("full_name", field_width=Fluid.TWO_THIRDS, autocomplete="name"),
            Field.text("job_title", field_width=Fluid.TWO_THIRDS, autocomplete="organization-title"),
            Field.text("password1", field_width=Fluid.TWO_THIRDS),
            Field.text("password2", field_width=Fluid.TWO_THIRDS),
            Submit("accept", _("Create account and accept")),
        )

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The passwords do not match. Type the same password twice."))
        if password1:
            candidate = get_user_model()(email=self.email, full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(password1, candidate)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned
