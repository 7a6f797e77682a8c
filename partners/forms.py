from crispy_forms_gds.choices import Choice
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fieldset, Fluid, Layout, Size, Submit
from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from connecting.forms import FullNameField, GovukDateField, RequiredMessagesMixin
from connecting.postcodes import PostcodeField
from partners.models import Partner, PartnerStatus, Region, Sector
from partners.services import MAX_VISITORS_CAP, PARTNER_EDITABLE_FIELDS, PARTNER_STATUS_MOVES


class PartnerContactInviteForm(RequiredMessagesMixin, forms.Form):
    required_messages = {"email": _("Enter the e-mail address of the person to invite")}

    email = forms.EmailField(
        label=_("E-mail address"),
        error_messages={"invalid": _("Enter an e-mail address in the correct format, like name@example.org")},
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


# --- Partner profile, status and capacity protection --------------------------------------------

DESCRIPTION_MAX_LENGTH = 5000
VETTING_MAX_LENGTH = 3000


class OneLineField(forms.CharField):
    """A one-line answer with runs of spaces folded to one."""

    def to_python(self, value):
        return " ".join(super().to_python(value).split())


class WebsiteField(forms.URLField):
    """A web address: http or https only, so no ftp:, javascript: or data: links reach a page."""

    default_validators = [URLValidator(schemes=["http", "https"])]


def _cap_field(period: str, label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=1,
        max_value=MAX_VISITORS_CAP,
        help_text=_("Across all the organisation's opportunities. Leave blank for no limit."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        error_messages={
            "invalid": _("Enter the most visitors in one %(period)s as a whole number, like 10")
            % {"period": period},
            "min_value": _(
                "The most visitors in one %(period)s must be 1 or more. Leave it blank for no limit"
            )
            % {"period": period},
            "max_value": _("The most visitors in one %(period)s must be %(max)d or fewer")
            % {"period": period, "max": MAX_VISITORS_CAP},
        },
    )


class PartnerCapacityFields(forms.Form):
    max_visitors_per_week = _cap_field(_("week"), _("Most visitors in one week"))
    max_visitors_per_month = _cap_field(_("month"), _("Most visitors in one month"))

    def clean(self):
        cleaned = super().clean()
        week, month = cleaned.get("max_visitors_per_week"), cleaned.get("max_visitors_per_month")
        if week and month and month < week:
            self.add_error(
                "max_visitors_per_month",
                _(
                    "The most visitors in one month cannot be fewer than the most in one week (%(week)d). "
                    "Raise it, or leave it blank for no monthly limit."
                )
                % {"week": week},
            )
        return cleaned


class PartnerIdentityFields(forms.Form):
    name = OneLineField(label=_("Name of the organisation"), max_length=200)
    sector = forms.ChoiceField(
        label=_("Sector"),
        choices=[("", _("Choose a sector"))] + Sector.choices,
        error_messages={"invalid_choice": _("Choose a sector from the list")},
    )
    region = forms.ChoiceField(
        label=_("Region"),
        choices=[("", _("Choose a region"))] + Region.choices,
        error_messages={"invalid_choice": _("Choose a region from the list")},
    )


class PartnerProfileFields(forms.Form):
    address_line_1 = OneLineField(
        label=_("Address line 1"),
        max_length=200,
        error_messages={"required": _("Enter the first line of the address")},
    )
    address_line_2 = OneLineField(label=_("Address line 2 (optional)"), max_length=200, required=False)
    town = OneLineField(
        label=_("Town or city"), max_length=100, error_messages={"required": _("Enter the town or city")}
    )
    # Recommendations measure distance from the partner's postcode district, so it is asked for.
    postcode = PostcodeField()
    website = WebsiteField(
        label=_("Website (optional)"),
        max_length=300,
        required=False,
        assume_scheme="https",
        help_text=_("For example, https://www.example.nhs.uk"),
        error_messages={
            "invalid": _("Enter a website address in the right format, like https://www.example.org")
        },
    )
    description = forms.CharField(
        label=_("About the organisation (optional)"),
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea,
        help_text=_("What the organisation does and who it serves. Visitors read this before they book."),
    )
    vetting_requirements = forms.CharField(
        label=_("Vetting requirements (optional)"),
        max_length=VETTING_MAX_LENGTH,
        required=False,
        widget=forms.Textarea,
        help_text=_("Checks every visitor needs, for example a basic DBS check or an honorary contract."),
    )


def _text_max_length_message(form: forms.Form) -> None:
    for field in form.fields.values():
        if isinstance(field, forms.CharField) and field.max_length:
            field.error_messages["max_length"] = _("Enter %(limit_value)d characters or fewer")


def _layout_for(form: forms.Form, submit_label: str) -> Layout:
    """The GOV.UK layout for whichever partner fields the form carries, in a fixed order."""
    widths = {
        "name": Fluid.TWO_THIRDS,
        "address_line_1": Fluid.TWO_THIRDS,
        "address_line_2": Fluid.TWO_THIRDS,
        "town": Fluid.ONE_HALF,
        "postcode": 10,
        "website": Fluid.TWO_THIRDS,
        "first_contact_email": Fluid.TWO_THIRDS,
        "max_visitors_per_week": 4,
        "max_visitors_per_month": 4,
    }

    def field(name):
        if name in ("sector", "region"):
            return Field.select(name)
        if name in ("description", "vetting_requirements"):
            return Field.textarea(name, rows=5)
        extra = {"spellcheck": "false"} if name in ("postcode", "website", "first_contact_email") else {}
        return Field.text(name, field_width=widths.get(name), **extra)

    groups = [
        (None, ["name", "sector", "region"]),
        (_("Address"), ["address_line_1", "address_line_2", "town", "postcode"]),
        (None, ["website", "description", "vetting_requirements"]),
        (_("Capacity protection"), ["max_visitors_per_week", "max_visitors_per_month"]),
        (_("First contact"), ["first_contact_email"]),
    ]
    items = []
    for legend, names in groups:
        present = [field(name) for name in names if name in form.fields]
        if not present:
            continue
        items.append(
            Fieldset(*present, legend=legend, legend_size=Size.MEDIUM) if legend else Layout(*present)
        )
    return Layout(*items, Submit("save", submit_label))


class PartnerCreateForm(
    RequiredMessagesMixin, PartnerIdentityFields, PartnerProfileFields, PartnerCapacityFields
):
    """Everything about a new partner, and optionally the first contact to invite."""

    required_messages = {
        "name": _("Enter the name of the organisation"),
        "sector": _("Choose the organisation's sector"),
        "region": _("Choose the organisation's region"),
    }
    field_order = [*PARTNER_EDITABLE_FIELDS, "first_contact_email"]

    first_contact_email = forms.EmailField(
        label=_("E-mail address of the first contact (optional)"),
        required=False,
        error_messages={"invalid": _("Enter an e-mail address in the correct format, like name@example.org")},
        help_text=_(
            "We will invite them to set up an account as a partner admin, who can invite colleagues "
            "and edit this profile. You can also invite contacts later."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _text_max_length_message(self)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = _layout_for(self, _("Add partner"))


class PartnerEditForm(RequiredMessagesMixin, PartnerIdentityFields, PartnerProfileFields):
    """The profile; name, sector and region only for those who may change them."""

    required_messages = PartnerCreateForm.required_messages
    field_order = PartnerCreateForm.field_order

    def __init__(self, *args, include_identity: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not include_identity:
            for name in PartnerIdentityFields.base_fields:
                del self.fields[name]
        _text_max_length_message(self)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = _layout_for(self, _("Save profile"))

    @classmethod
    def initial_for(cls, partner: Partner) -> dict:
        names = [*PartnerIdentityFields.base_fields, *PartnerProfileFields.base_fields]
        return {name: getattr(partner, name) for name in names}


class PartnerCapacityForm(PartnerCapacityFields):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("max_visitors_per_week", field_width=4),
            Field.text("max_visitors_per_month", field_width=4),
            Submit("save_caps", _("Save limits")),
        )


class PartnerStatusForm(RequiredMessagesMixin, forms.Form):
    required_messages = {"status": _("Choose a status")}

    status = forms.ChoiceField(
        label=_("Status"),
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one of the statuses shown")},
    )

    HINTS = {
        PartnerStatus.INVITED: _("Set up, not yet taking visitors."),
        PartnerStatus.ACTIVE: _("Taking visitors: its published opportunities can be booked."),
        PartnerStatus.PAUSED: _("Taking no new bookings for now; bookings already made stand."),
        PartnerStatus.ARCHIVED: _("No longer a partner; kept for the record."),
    }

    def __init__(self, *args, current: str, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = PARTNER_STATUS_MOVES[current] | {current}
        self.fields["status"].choices = [
            Choice(value, label, hint=self.HINTS[value])
            for value, label in PartnerStatus.choices
            if value in allowed
        ]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.radios("status", legend_size=Size.MEDIUM, legend_tag="h2"),
            Submit("save", _("Change status")),
        )


class PartnerBlackoutForm(RequiredMessagesMixin, forms.Form):
    required_messages = {"reason": _("Enter the reason, for example winter pressures")}

    starts_on = GovukDateField(
        label=_("First day"),
        help_text=_("For example, 24 12 2026"),
        required_message=_("Enter the first day"),
    )
    ends_on = GovukDateField(
        label=_("Last day"),
        help_text=_("No visits on this day either. For example, 6 1 2027"),
        required_message=_("Enter the last day"),
    )
    reason = OneLineField(
        label=_("Reason"),
        max_length=200,
        help_text=_("Visitors see this, for example “Winter pressures” or “CQC inspection”."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _text_max_length_message(self)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field("starts_on"),
            Field("ends_on"),
            Field.text("reason", field_width=Fluid.TWO_THIRDS),
            Submit("add_blackout", _("Add blackout")),
        )


class PartnerFilterForm(forms.Form):
    """Filters for the partner list; every one optional, read from the query string."""

    q = OneLineField(label=_("Name contains"), max_length=100, required=False)
    sector = forms.ChoiceField(
        label=_("Sector"),
        required=False,
        choices=[("", _("All sectors"))] + Sector.choices,
        error_messages={"invalid_choice": _("Choose a sector from the list")},
    )
    region = forms.ChoiceField(
        label=_("Region"),
        required=False,
        choices=[("", _("All regions"))] + Region.choices,
        error_messages={"invalid_choice": _("Choose a region from the list")},
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses"))] + PartnerStatus.choices,
        error_messages={"invalid_choice": _("Choose a status from the list")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _text_max_length_message(self)
        self.helper = FormHelper()
        self.helper.form_tag = False
        # A GET form: without these crispy would put the CSRF token into every filtered URL.
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field.text("q", field_width=Fluid.FULL, spellcheck="false"),
            Field.select("sector"),
            Field.select("region"),
            Field.select("status"),
        )

    def filters(self) -> dict[str, str]:
        """The valid filters as keyword arguments for the selector; a bad one is dropped, not guessed."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {
            "search": cleaned.get("q") or "",
            "sector": cleaned.get("sector") or "",
            "region": cleaned.get("region") or "",
            "status": cleaned.get("status") or "",
        }
