"""The dashboard's and the impact pack's filter, read from the query string."""

import datetime

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from connecting.dashboard.selectors import DashboardFilter, default_date_range
from placements.models import Cohort, Programme

ALL_PROGRAMMES = "all"
ALL_PROGRAMMES_LABEL = _("All programmes")
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d %m %Y"]


def _date_field(label, what) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=DATE_FORMATS,
        # A text box, as the GOV.UK frame styles it; the value travels as 2026-04-01.
        widget=forms.TextInput,
        help_text=_("For example, 2026-04-01"),
        error_messages={"invalid": _("Enter %(what)s as a real date, like 2026-04-01") % {"what": what}},
    )


class DashboardFilterForm(forms.Form):
    """Programme (or all of them), cohort and date range; every one optional. A bad value is shown
    as an error and the default used in its place, so the page still shows figures. The choices
    come from lists the view already read, so the form costs no queries of its own."""

    programme = forms.ChoiceField(
        label=_("Programme"),
        required=False,
        error_messages={"invalid_choice": _("Choose a programme from the list")},
    )
    cohort = forms.ChoiceField(
        label=_("Cohort"),
        required=False,
        error_messages={"invalid_choice": _("Choose a cohort from the list")},
    )

    def __init__(
        self, data=None, *, programmes: list[Programme], cohorts: list[Cohort], today: datetime.date
    ):
        super().__init__(data)
        self.today = today
        self.programmes = {str(programme.pk): programme for programme in programmes}
        self.cohorts = {str(cohort.pk): cohort for cohort in cohorts}
        self.fields["from"] = _date_field(_("Visits from"), _("the first date"))
        self.fields["to"] = _date_field(_("Visits up to and including"), _("the last date"))
        self.fields["programme"].choices = [
            *((key, programme.name) for key, programme in self.programmes.items()),
            (ALL_PROGRAMMES, ALL_PROGRAMMES_LABEL),
        ]
        by_programme: dict[int, list] = {}
        for key, cohort in self.cohorts.items():
            by_programme.setdefault(cohort.programme_id, []).append((key, cohort.name))
        self.fields["cohort"].choices = [
            ("", _("All cohorts")),
            *(
                (programme.name, by_programme[programme.pk])
                for programme in programmes
                if programme.pk in by_programme
            ),
        ]
        self.helper = FormHelper()
        self.helper.form_tag = False
        # A GET form: without these crispy would put the CSRF token into every filtered URL.
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field.select("programme"),
            Field.select("cohort"),
            Field.text("from", field_width=10),
            Field.text("to", field_width=10),
        )
        if not self.is_bound:
            # A first visit shows the defaults it is looking at, ready to change.
            self.initial = self.query_string(self.dashboard_filter())

    def _programme(self, cleaned) -> Programme | None:
        value = cleaned.get("programme")
        if value == ALL_PROGRAMMES:
            return None
        if value:
            return self.programmes[value]
        # Nothing chosen: the first programme, as on a first visit.
        return next(iter(self.programmes.values()), None)

    def clean(self):
        cleaned = super().clean()
        for name in ("from", "to"):
            day = cleaned.get(name)
            if day and not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
                self.add_error(
                    name,
                    _("Enter a date between %(first)s and %(last)s")
                    % {"first": EARLIEST_YEAR, "last": LATEST_YEAR},
                )
        if "programme" in cleaned and cleaned.get("cohort"):
            cohort = self.cohorts[cleaned["cohort"]]
            programme = self._programme(cleaned)
            if programme is None or cohort.programme_id != programme.pk:
                self.add_error("cohort", _("Choose a cohort of the chosen programme"))
        first, last = cleaned.get("from"), cleaned.get("to")
        if first and last and last < first:
            self.add_error("to", _("The last date must be the same as or after the first date"))
        return cleaned

    def dashboard_filter(self) -> DashboardFilter:
        """The filter to apply: the valid answers, and the defaults for the rest."""
        cleaned = {}
        if self.is_bound:
            self.is_valid()
            cleaned = self.cleaned_data
        programme = self._programme(cleaned)
        cohort = self.cohorts.get(cleaned.get("cohort") or "")
        if cohort is not None and (programme is None or cohort.programme_id != programme.pk):
            cohort = None
        given_from, given_to = cleaned.get("from"), cleaned.get("to")
        date_from, date_to = default_date_range(programme, self.today)
        date_from, date_to = given_from or date_from, given_to or date_to
        if date_to < date_from:
            # One end given, beyond the default other end: a year from (or to) the given one.
            a_year = datetime.timedelta(days=364)
            if given_from and not given_to:
                date_to = given_from + a_year
            elif given_to and not given_from:
                date_from = given_to - a_year
            else:
                date_from, date_to = default_date_range(programme, self.today)
        return DashboardFilter(programme=programme, cohort=cohort, date_from=date_from, date_to=date_to)

    def query_string(self, f: DashboardFilter) -> dict:
        """The filter as query-string values, for links to the impact pack and back."""
        values = {
            "programme": str(f.programme.pk) if f.programme else ALL_PROGRAMMES,
            "from": f.date_from.isoformat(),
            "to": f.date_to.isoformat(),
        }
        if f.cohort is not None:
            values["cohort"] = str(f.cohort.pk)
        return values
