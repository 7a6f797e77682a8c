from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _

from connecting.forms import GovukDateField
from debriefs.selectors.library import LibraryFilters
from partners.models import Partner, Region, Sector
from placements.forms.browse import MAX_QUERY_LENGTH
from placements.models import Programme, Theme


def _get_form_helper(*layout) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    # A GET form: a CSRF token would end up in every filtered URL and in the logs.
    helper.form_method = "get"
    helper.disable_csrf = True
    helper.layout = Layout(*layout)
    return helper


def _from_the_list(message):
    return {"invalid_choice": message}


class _FromTheListField(forms.ModelChoiceField):
    """A select of rows whose every wrong value, a null character included, gets the same
    "Select ... from the list" message (Django would say "Null characters are not allowed.")."""

    def to_python(self, value):
        if isinstance(value, str) and "\x00" in value:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


def _library_date_field(label, what) -> GovukDateField:
    field = GovukDateField(label=label, what=what, required=False, help_text=_("For example, 27 3 2027"))
    # The boxes take digits only and already say so: one message for a null character, not two.
    for part in field.fields:
        part.validators = [v for v in part.validators if not isinstance(v, ProhibitNullCharactersValidator)]
    return field


class LibraryFilterForm(forms.Form):
    """The learning library's filters, read from the query string; every one optional. A bad value
    gets its own message and is dropped, while the good ones still apply."""

    q = forms.CharField(label=_("Keywords"), max_length=MAX_QUERY_LENGTH, required=False)
    theme = _FromTheListField(
        label=_("Policy area"),
        queryset=Theme.objects.order_by("name", "pk"),
        required=False,
        empty_label=_("Any policy area"),
        error_messages=_from_the_list(_("Select a policy area from the list")),
    )
    sector = forms.ChoiceField(
        label=_("Partner sector"),
        choices=[("", _("Any sector")), *Sector.choices],
        required=False,
        error_messages=_from_the_list(_("Select a sector from the list")),
    )
    region = forms.ChoiceField(
        label=_("Region"),
        choices=[("", _("Any region")), *Region.choices],
        required=False,
        error_messages=_from_the_list(_("Select a region from the list")),
    )
    programme = _FromTheListField(
        label=_("Programme"),
        queryset=Programme.objects.order_by("name", "pk"),
        required=False,
        empty_label=_("Any programme"),
        error_messages=_from_the_list(_("Select a programme from the list")),
    )
    visited_from = _library_date_field(_("Visited on or after"), _("the earliest visit date"))
    visited_to = _library_date_field(_("Visited on or before"), _("the latest visit date"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].error_messages["max_length"] = _(
            "Keywords must be %(limit_value)d characters or fewer"
        )
        self.fields["q"].error_messages["null_characters_not_allowed"] = _(
            "Remove the null character from the keywords"
        )
        self.helper = _get_form_helper(
            Field.text("q", label_size=Size.SMALL, spellcheck="true"),
            Field.select("theme"),
            Field.select("sector"),
            Field.select("region"),
            Field.select("programme"),
            Field("visited_from"),
            Field("visited_to"),
        )

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("visited_from"), cleaned.get("visited_to")
        if first and last and last < first:
            self.add_error("visited_to", _("The latest visit date must be the same as or after the earliest"))
        return cleaned

    def library_filters(self) -> LibraryFilters:
        """The filters to apply: the valid answers only, so one bad value does not empty the page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return LibraryFilters(
            q=(data.get("q") or "").strip(),
            theme=data.get("theme"),
            sector=data.get("sector") or "",
            region=data.get("region") or "",
            programme=data.get("programme"),
            visited_from=data.get("visited_from"),
            visited_to=data.get("visited_to"),
        )


class YouSaidWeDidPartnerForm(forms.Form):
    """Which partner's "You said, we did" to show, out of those the person may see."""

    partner = _FromTheListField(
        label=_("Partner"),
        queryset=Partner.objects.none(),
        required=False,
        empty_label=_("Select a partner"),
        error_messages=_from_the_list(_("Select a partner from the list")),
    )

    def __init__(self, *args, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners
        self.helper = _get_form_helper(Field.select("partner"))

    def chosen_partner(self):
        return self.cleaned_data.get("partner") if self.is_valid() else None
