"""The filters of the learning-themes page, read from the query string."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from debriefs.models import PeriodKind
from debriefs.selectors.rollup import RollupPeriod, rollup_directorate_list, rollup_period_list
from partners.models import Region, Sector
from placements.models import Programme


class ThemeFilterForm(forms.Form):
    """Programme, period and cell; every one optional. With no period the latest month with
    debriefs is shown. A bad value is shown as an error and dropped, not guessed."""

    programme = forms.ModelChoiceField(
        label=_("Programme"),
        required=False,
        queryset=Programme.objects.order_by("name", "pk"),
        empty_label=_("All programmes"),
        error_messages={"invalid_choice": _("Choose a programme from the list")},
    )
    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        error_messages={"invalid_choice": _("Choose a month or quarter from the list")},
    )
    sector = forms.ChoiceField(
        label=_("Partner sector"),
        required=False,
        choices=[("", _("All sectors")), *Sector.choices],
        error_messages={"invalid_choice": _("Choose a sector from the list")},
    )
    region = forms.ChoiceField(
        label=_("Partner region"),
        required=False,
        choices=[("", _("All regions")), *Region.choices],
        error_messages={"invalid_choice": _("Choose a region from the list")},
    )
    directorate = forms.ChoiceField(
        label=_("Participant's directorate"),
        required=False,
        error_messages={"invalid_choice": _("Choose a directorate from the list")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.periods = {period.value: period for period in rollup_period_list()}
        months = [(p.value, p.label) for p in self.periods.values() if p.kind == PeriodKind.MONTH]
        quarters = [(p.value, p.label) for p in self.periods.values() if p.kind == PeriodKind.QUARTER]
        self.fields["period"].choices = [
            ("", _("Latest month")),
            (_("Months"), months),
            (_("Quarters"), quarters),
        ]
        self.fields["directorate"].choices = [
            ("", _("All directorates")),
            *((name, name) for name in rollup_directorate_list()),
        ]
        self.helper = FormHelper()
        self.helper.form_tag = False
        # A GET form: without these crispy would put the CSRF token into every filtered URL.
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.layout = Layout(*(Field.select(name) for name in self.fields))

    def chosen_period(self) -> RollupPeriod | None:
        """The period asked for, else the latest month with debriefs (None when there is none)."""
        self.is_valid()
        value = getattr(self, "cleaned_data", {}).get("period")
        if value:
            return self.periods[value]
        return next((p for p in self.periods.values() if p.kind == PeriodKind.MONTH), None)

    def filters(self) -> dict:
        """The valid filters as keyword arguments for the roll-up selectors."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        period = self.chosen_period()
        return {
            "programme": cleaned.get("programme"),
            "period_kind": period.kind if period else PeriodKind.MONTH,
            "period_start": period.start if period else None,
            "sector": cleaned.get("sector") or "",
            "region": cleaned.get("region") or "",
            "directorate": cleaned.get("directorate") or "",
        }
