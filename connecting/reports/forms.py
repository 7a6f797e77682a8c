"""The exports page: which data, which format, and the dashboard's filters."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _

from connecting.forms import GovukDateField, RequiredMessagesMixin
from connecting.reports.datasets import ExportFilters
from connecting.reports.models import ExportDataset, ExportFormat
from placements.models import Cohort, Programme


class _FromTheListField(forms.ModelChoiceField):
    """A select whose every wrong value, a null character included, gets its "from the list"
    message (Django would say "Null characters are not allowed.")."""

    def to_python(self, value):
        if isinstance(value, str) and "\x00" in value:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class _CohortChoiceField(_FromTheListField):
    def label_from_instance(self, obj):
        return f"{obj.programme.name}: {obj.name}"


def _visit_date_field(label, what, example) -> GovukDateField:
    field = GovukDateField(label=label, what=what, required=False, help_text=example)
    # The boxes take digits only and already say so: one message for a null character, not two.
    for part in field.fields:
        part.validators = [v for v in part.validators if not isinstance(v, ProhibitNullCharactersValidator)]
    return field


class ExportForm(RequiredMessagesMixin, forms.Form):
    """A bad or tampered value (an id that is not in the list, a cohort of another programme, a
    date that is not one) is a form error, never a guess and never an export of more than asked."""

    required_messages = {
        "dataset": _("Select which data to export"),
        "file_format": _("Select a file format"),
    }

    dataset = forms.ChoiceField(
        label=_("Which data do you want to export?"),
        choices=ExportDataset.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Partner activity has one row for each partner: opportunities, slots and places offered, "
            "visits requested, confirmed, attended and cancelled, and the feedback the partner gave"
        ),
        error_messages={"invalid_choice": _("Select which data to export")},
    )
    file_format = forms.ChoiceField(
        label=_("File format"),
        choices=ExportFormat.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Select a file format")},
    )
    programme = _FromTheListField(
        label=_("Programme"),
        required=False,
        queryset=Programme.objects.order_by("name", "pk"),
        empty_label=_("All programmes"),
        error_messages={"invalid_choice": _("Choose a programme from the list")},
    )
    cohort = _CohortChoiceField(
        label=_("Cohort (optional)"),
        required=False,
        queryset=Cohort.objects.select_related("programme").order_by(
            "programme__name", "starts_on", "name", "pk"
        ),
        empty_label=_("All cohorts"),
        help_text=_("A cohort of the programme chosen above"),
        error_messages={"invalid_choice": _("Choose a cohort from the list")},
    )
    date_from = _visit_date_field(
        _("Visits from (optional)"), _("the first visit date"), _("For example, 1 4 2026")
    )
    date_to = _visit_date_field(
        _("Visits to (optional)"), _("the last visit date"), _("For example, 31 3 2027")
    )
    include_team_only = forms.BooleanField(
        label=_("Include debriefs the participant shared with the programme team only"),
        required=False,
        help_text=_(
            "Debriefs and actions only. Authors are named only if they shared their debrief with their name."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.radios("dataset", legend_size=Size.MEDIUM, legend_tag="h2"),
            Field.radios("file_format", legend_size=Size.MEDIUM, legend_tag="h2", inline=True),
            Field.select("programme"),
            Field.select("cohort"),
            Field("date_from", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field("date_to", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field.checkbox("include_team_only", small=True),
            Submit("export", _("Export")),
        )

    def clean(self):
        cleaned = super().clean()
        programme, cohort = cleaned.get("programme"), cleaned.get("cohort")
        if programme and cohort and cohort.programme_id != programme.pk:
            self.add_error("cohort", _("Choose a cohort of the programme you chose, or all cohorts"))
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error(
                "date_to", _("The last visit date must be the same as or after the first visit date")
            )
        return cleaned

    def export_arguments(self) -> dict:
        """The valid answers as the arguments of `export_request` (a cohort brings its programme)."""
        cleaned = self.cleaned_data
        cohort = cleaned["cohort"]
        return {
            "dataset": cleaned["dataset"],
            "file_format": cleaned["file_format"],
            "filters": ExportFilters(
                programme=cleaned["programme"] or (cohort.programme if cohort else None),
                cohort=cohort,
                date_from=cleaned["date_from"],
                date_to=cleaned["date_to"],
                include_team_only=cleaned["include_team_only"],
            ),
        }
