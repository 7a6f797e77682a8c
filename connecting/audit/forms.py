"""The audit page's filters, read from the query string."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Div, Field, Fluid, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from connecting.audit.models import AuditVerb

SEARCH_MAX_LENGTH = 200


class AuditFilterForm(forms.Form):
    """A bad value is shown as an error (in the error summary) and that filter is dropped."""

    verb = forms.ChoiceField(
        label=_("What happened"),
        required=False,
        choices=[("", _("Everything")), *AuditVerb.choices],
        error_messages={"invalid_choice": _("Choose what happened from the list")},
    )
    actor = forms.CharField(
        label=_("Who (e-mail address, or part of it)"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        error_messages={
            "max_length": _("Enter %(max)s characters or fewer") % {"max": SEARCH_MAX_LENGTH},
            "null_characters_not_allowed": _("Enter the text without special characters"),
        },
    )
    object_type = forms.CharField(
        label=_("Kind of record (for example placements.booking)"),
        required=False,
        max_length=100,
        error_messages={
            "max_length": _("Enter 100 characters or fewer"),
            "null_characters_not_allowed": _("Enter the text without special characters"),
        },
    )
    object_id = forms.CharField(
        label=_("Record number"),
        required=False,
        max_length=64,
        error_messages={
            "max_length": _("Enter 64 characters or fewer"),
            "null_characters_not_allowed": _("Enter the text without special characters"),
        },
    )
    date_from = forms.DateField(
        label=_("From (day/month/year)"),
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        error_messages={"invalid": _("Enter the first day as day/month/year, like 27/03/2026")},
    )
    date_to = forms.DateField(
        label=_("To (day/month/year)"),
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        error_messages={"invalid": _("Enter the last day as day/month/year, like 27/03/2026")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        column = "govuk-grid-column-one-third"
        self.helper.layout = Layout(
            Div(
                Div(Field.select("verb", css_class="govuk-!-width-full"), css_class=column),
                Div(Field.text("actor", field_width=Fluid.FULL), css_class=column),
                Div(Field.text("object_type", field_width=Fluid.FULL), css_class=column),
                css_class="govuk-grid-row",
            ),
            Div(
                Div(Field.text("object_id", field_width=Fluid.FULL), css_class=column),
                Div(Field.text("date_from", field_width=Fluid.FULL), css_class=column),
                Div(Field.text("date_to", field_width=Fluid.FULL), css_class=column),
                css_class="govuk-grid-row",
            ),
        )

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last and last < first:
            self.add_error("date_to", _("The last day must be the same as or after the first day"))
        return cleaned

    def filters(self) -> dict:
        """The valid filters as keyword arguments for `audit_event_list`."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {name: cleaned.get(name) or None for name in self.fields}
