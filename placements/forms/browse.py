from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from connecting.postcodes import PostcodeField
from partners.models import Region, Sector
from placements.models import ROW_ID_MAX, Duration, Programme, Theme
from placements.selectors.browse import BrowseFilters, Sort
from placements.services.interests import LEARNING_OBJECTIVE_MAX_LENGTH

# Long enough for any sensible search; anything longer is refused rather than sent to the database.
MAX_QUERY_LENGTH = 200
DATE_FORMAT = "%Y-%m-%d"

# The GET parameters that narrow the list (as opposed to sorting or paging it).
FILTER_PARAMETERS = (
    "q",
    "programme",
    "sector",
    "region",
    "policy_area",
    "date_from",
    "date_to",
    "duration",
    "free_places",
)


def _any(label):
    return [("", label)]


class IsoDateInput(forms.DateInput):
    """A browser date picker whose value is the ISO date, so links to a filtered list stay readable."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(
            attrs={"class": "govuk-input govuk-input--width-10", **(attrs or {})}, format=DATE_FORMAT
        )


_TICKED = {"on", "true", "1"}
_UNTICKED = {"", "off", "false", "0"}


def _ticked(value) -> bool:
    return isinstance(value, str) and value.strip().lower() in _TICKED


class StrictCheckboxInput(forms.CheckboxInput):
    """Hands the field what was sent, so a value no checkbox sends can be refused rather than read
    as "ticked" (CheckboxInput turns any non-empty string into True)."""

    def __init__(self, attrs=None):
        # crispy-forms-gds styles only its own widget classes by name; say which one this is.
        attrs = {"class": "govuk-checkboxes__input", **(attrs or {})}
        super().__init__(attrs, check_test=lambda value: value is True or _ticked(value))

    def value_from_datadict(self, data, files, name):
        return data.get(name, "") if name in data else False

    def format_value(self, value):
        return None  # no value attribute: a ticked box sends "on"


class StrictCheckboxField(forms.BooleanField):
    """A checkbox in a GET form: "on" (what browsers send), "true" or "1" tick it; nothing, "",
    "off", "false" or "0" leave it; anything else is an error, like any other bad filter."""

    widget = StrictCheckboxInput

    def to_python(self, value):
        if isinstance(value, str):
            if _ticked(value):
                return True
            if value.strip().lower() in _UNTICKED:
                return False
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return bool(value)


def _from_the_list(message):
    return {"invalid_choice": message}


class OpportunityFilterForm(forms.Form):
    """The browse page's filters. Sent by GET; every field is optional. Each bad value gets a
    message a person can act on, and the view answers 400 while applying the good ones."""

    q = forms.CharField(label=_("Keywords"), max_length=MAX_QUERY_LENGTH, required=False)
    programme = forms.ModelChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.order_by("name"),
        required=False,
        empty_label=_("Any programme"),
        error_messages=_from_the_list(_("Choose a programme from the list")),
    )
    sector = forms.ChoiceField(
        label=_("Sector"),
        choices=_any(_("Any sector")) + Sector.choices,
        required=False,
        error_messages=_from_the_list(_("Choose a sector from the list")),
    )
    region = forms.ChoiceField(
        label=_("Region"),
        choices=_any(_("Any region")) + Region.choices,
        required=False,
        error_messages=_from_the_list(_("Choose a region from the list")),
    )
    policy_area = forms.ModelChoiceField(
        label=_("Policy area"),
        queryset=Theme.objects.order_by("name"),
        required=False,
        empty_label=_("Any policy area"),
        error_messages=_from_the_list(_("Choose a policy area from the list")),
    )
    date_from = forms.DateField(
        label=_("Free place from"), required=False, input_formats=[DATE_FORMAT], widget=IsoDateInput()
    )
    date_to = forms.DateField(
        label=_("Free place until"), required=False, input_formats=[DATE_FORMAT], widget=IsoDateInput()
    )
    duration = forms.ChoiceField(
        label=_("Duration"),
        choices=_any(_("Any duration")) + Duration.choices,
        required=False,
        error_messages=_from_the_list(_("Choose a duration from the list")),
    )
    free_places = StrictCheckboxField(
        label=_("Only show opportunities with free places"),
        required=False,
        error_messages={"invalid": _("Tick ‘only show opportunities with free places’ or leave it empty")},
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        choices=[
            (Sort.SOONEST, _("Soonest free place")),
            (Sort.NEWEST, _("Newest")),
            (Sort.RELEVANCE, _("Best match for the keywords")),
        ],
        required=False,
        error_messages=_from_the_list(_("Choose how to sort from the list")),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date_from"].error_messages["invalid"] = _("Enter a real date for ‘free place from’")
        self.fields["date_to"].error_messages["invalid"] = _("Enter a real date for ‘free place until’")
        self.fields["q"].error_messages["max_length"] = _(
            "Keywords must be %(limit_value)d characters or fewer"
        )
        self.fields["q"].error_messages["null_characters_not_allowed"] = _(
            "Remove the null character from the keywords"
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # a GET form: a token would end up in URLs and logs
        self.helper.layout = Layout(
            Field.text("q", label_size=Size.SMALL, spellcheck="true"),
            Field.select("sort"),
            Field.select("programme"),
            Field.select("sector"),
            Field.select("region"),
            Field.select("policy_area"),
            Field.select("duration"),
            Field.text("date_from"),
            Field.text("date_to"),
            Field.checkbox("free_places", small=True),
        )

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", _("‘Free place until’ must be the same as or after ‘free place from’"))
        return cleaned

    def browse_filters(self) -> BrowseFilters:
        """The filters to apply: the valid answers only, so one bad value does not empty the page."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        data = self.cleaned_data
        return BrowseFilters(
            q=(data.get("q") or "").strip(),
            programme=data.get("programme"),
            sector=data.get("sector") or "",
            region=data.get("region") or "",
            policy_area=data.get("policy_area"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            duration=data.get("duration") or "",
            free_places_only=bool(data.get("free_places")),
            sort=data.get("sort") or "",
        )


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Refuses ids too big for a 64-bit integer as invalid choices: SQLite's driver would raise
    OverflowError on them (a 500) before the database could say there is no such row."""

    MAX_ID = ROW_ID_MAX

    def _check_values(self, value):
        for pk in value:
            if isinstance(pk, str) and pk.strip().isdigit() and int(pk) > self.MAX_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class ParticipantInterestsForm(forms.Form):
    policy_areas = IdMultipleChoiceField(
        label=_("Policy areas you are interested in"),
        queryset=Theme.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    sectors = forms.MultipleChoiceField(
        label=_("Sectors you would like to see"),
        choices=Sector.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    base_postcode = PostcodeField(
        label=_("Your base postcode"),
        required=False,
        help_text=_(
            "Where you usually work, so we can suggest opportunities near you. For example, SW1A 2AA."
        ),
    )
    learning_objective = forms.CharField(
        label=_("What do you want to learn?"),
        max_length=LEARNING_OBJECTIVE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea,
        help_text=_("For example, how discharge from hospital works for people who need care at home."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["learning_objective"].error_messages["max_length"] = _(
            "Your learning objective must be %(limit_value)d characters or fewer"
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.checkboxes("policy_areas", legend_size=Size.MEDIUM, small=True),
            Field.checkboxes("sectors", legend_size=Size.MEDIUM, small=True),
            Field.text("base_postcode", label_size=Size.MEDIUM, field_width=10),
            Field.textarea(
                "learning_objective",
                label_size=Size.MEDIUM,
                rows=5,
                max_characters=LEARNING_OBJECTIVE_MAX_LENGTH,
            ),
            Submit("save", _("Save your interests")),
        )
