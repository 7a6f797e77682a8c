from pathlib import PurePath

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fixed, Fluid, Layout, Size, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from connecting.forms import GovukDateField, RequiredMessagesMixin
from placements.models import Cohort, Programme
from placements.services.programmes import MAX_PLACES_PER_SLOT_LIMIT, MAX_TARGET_DAYS


class FirstRadioSelect(forms.RadioSelect):
    """Radios whose field id points at the first button, so the error summary link lands on it."""

    def id_for_label(self, id_, index=None):
        return f"{id_}_1" if index is None and id_ else super().id_for_label(id_, index)


def _yes_no_field(*, label, yes, no, required_message, help_text=""):
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=[("True", yes), ("False", no)],
        coerce=lambda value: value == "True",
        widget=FirstRadioSelect,
        error_messages={"required": required_message, "invalid_choice": required_message},
    )


def _whole_number_field(*, label, minimum, maximum, message, help_text=""):
    errors = {"invalid": message, "min_value": message, "max_value": message, "required": message}
    return forms.IntegerField(
        label=label,
        min_value=minimum,
        max_value=maximum,
        help_text=help_text,
        error_messages=errors,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
    )


def _too_long(what, most: int) -> dict:
    return {"max_length": format_lazy(_("{what} must be {most} characters or fewer"), what=what, most=most)}


class ProgrammeForm(RequiredMessagesMixin, forms.Form):
    required_messages = {
        "name": _("Enter the programme’s name"),
        "owner_organisation": _("Enter the organisation that runs the programme"),
    }

    name = forms.CharField(label=_("Name"), max_length=200, error_messages=_too_long(_("The name"), 200))
    slug = forms.CharField(
        label=_("Short name (optional)"),
        max_length=80,
        required=False,
        help_text=_(
            "Lower-case letters, numbers and hyphens, for example connecting-2026. "
            "Leave it blank to make one from the name."
        ),
        error_messages=_too_long(_("The short name"), 80),
    )
    owner_organisation = forms.CharField(
        label=_("Organisation that runs the programme"),
        max_length=200,
        help_text=_("For example, Department of Health and Social Care"),
        error_messages=_too_long(_("The organisation"), 200),
    )
    description = forms.CharField(
        label=_("Description (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages=_too_long(_("The description"), 5000),
    )
    starts_on = GovukDateField(
        label=_("Start date"), what=_("the start date"), help_text=_("For example, 1 9 2026")
    )
    ends_on = GovukDateField(
        label=_("End date (optional)"),
        what=_("the end date"),
        required=False,
        help_text=_("Leave it blank if the programme has no end date."),
    )
    target_days_per_participant = _whole_number_field(
        label=_("Target days per participant per year"),
        minimum=0,
        maximum=MAX_TARGET_DAYS,
        message=format_lazy(_("Enter a number of days between 0 and {most}"), most=MAX_TARGET_DAYS),
    )
    bookings_confirmed_automatically = _yes_no_field(
        label=_("How are bookings confirmed?"),
        yes=_("Automatically, as soon as the participant books"),
        no=_("By the partner, who confirms or declines each request"),
        required_message=_("Select how bookings are confirmed"),
    )
    line_manager_approval_required = _yes_no_field(
        label=_("Must the participant’s line manager approve each booking first?"),
        yes=_("Yes"),
        no=_("No"),
        required_message=_("Select whether line managers must approve bookings"),
    )
    max_places_per_slot = _whole_number_field(
        label=_("Most places a partner may offer in one slot"),
        minimum=1,
        maximum=MAX_PLACES_PER_SLOT_LIMIT,
        message=format_lazy(
            _("Enter a number of places between 1 and {most}"), most=MAX_PLACES_PER_SLOT_LIMIT
        ),
    )

    def __init__(self, *args, submit_label, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("name", field_width=Fluid.TWO_THIRDS),
            Field.text("slug", field_width=Fluid.ONE_HALF, spellcheck="false", autocomplete="off"),
            Field.text("owner_organisation", field_width=Fluid.TWO_THIRDS, autocomplete="organization"),
            Field.textarea("description"),
            Field("starts_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field("ends_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field.text("target_days_per_participant", field_width=Fixed.THREE),
            Field.radios("bookings_confirmed_automatically", legend_size=Size.SMALL),
            Field.radios("line_manager_approval_required", legend_size=Size.SMALL, inline=True),
            Field.text("max_places_per_slot", field_width=Fixed.THREE),
            Submit("save", submit_label),
        )

    @classmethod
    def initial_for(cls, programme: Programme | None) -> dict:
        """What the form shows before any answer: the programme's values, or the model's defaults."""
        if programme is None:
            return {
                "target_days_per_participant": Programme._meta.get_field(
                    "target_days_per_participant"
                ).default,
                "bookings_confirmed_automatically": False,
                "line_manager_approval_required": False,
                "max_places_per_slot": Programme._meta.get_field("max_places_per_slot").default,
            }
        return {name: getattr(programme, name) for name in cls.base_fields}


class CohortForm(RequiredMessagesMixin, forms.Form):
    required_messages = {"name": _("Enter the cohort’s name")}

    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("For example, Autumn 2026"),
        error_messages=_too_long(_("The name"), 200),
    )
    starts_on = GovukDateField(label=_("Start date"), what=_("the start date"))
    ends_on = GovukDateField(label=_("End date"), what=_("the end date"))

    def __init__(self, *args, submit_label, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("name", field_width=Fluid.TWO_THIRDS),
            Field("starts_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field("ends_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Submit("save", submit_label),
        )

    @staticmethod
    def initial_for(cohort: Cohort) -> dict:
        return {"name": cohort.name, "starts_on": cohort.starts_on, "ends_on": cohort.ends_on}


class _CohortChoiceField(forms.ModelChoiceField):
    def __init__(self, *, programme: Programme, **kwargs):
        super().__init__(
            queryset=programme.cohorts.order_by("starts_on", "name", "pk"),
            required=False,
            empty_label=_("No cohort"),
            error_messages={"invalid_choice": _("Choose one of this programme’s cohorts")},
            **kwargs,
        )


class EnrolmentAddForm(RequiredMessagesMixin, forms.Form):
    required_messages = {"email": _("Enter the participant’s e-mail address")}

    email = forms.EmailField(
        label=_("Participant’s e-mail address"),
        help_text=_("The address they use to sign in. They must already have a participant account."),
        error_messages={
            "invalid": _("Enter an e-mail address in the correct format, like name@example.gov.uk")
        },
    )

    def __init__(self, *args, programme: Programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"] = _CohortChoiceField(programme=programme, label=_("Cohort (optional)"))
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("email", field_width=Fluid.TWO_THIRDS, autocomplete="off", spellcheck="false"),
            Field.select("cohort"),
            Submit("enrol", _("Enrol participant")),
        )


class EnrolmentMoveForm(forms.Form):
    def __init__(self, *args, programme: Programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"] = _CohortChoiceField(programme=programme, label=_("Cohort"))
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(Field.select("cohort"), Submit("move", _("Save cohort")))


class EnrolmentUploadForm(RequiredMessagesMixin, forms.Form):
    required_messages = {"file": _("Select a CSV file")}

    file = forms.FileField(
        label=_("Upload a CSV file"),
        allow_empty_file=True,  # the import says "The file is empty." itself
        help_text=_("A CSV file saved as UTF-8, no larger than 1 MB and with no more than 5,000 rows."),
        error_messages={"invalid": _("Select a CSV file"), "missing": _("Select a CSV file")},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(Field("file"), Submit("upload", _("Check and import")))

    def clean_file(self):
        file = self.cleaned_data["file"]
        if PurePath(file.name or "").suffix.lower() not in {".csv", ".txt"}:
            raise ValidationError(_("The selected file must be a CSV file"), code="not_csv")
        return file
