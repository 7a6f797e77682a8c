from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from connecting.postcodes import PostcodeField
from partners.models import Region, Sector
from placements.models import Duration, Programme, Theme
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


class OpportunityFilterForm(forms.Form):
    """The browse page's filters. Sent by GET; every field is optional."""

    q = forms.CharField(label=_("Keywords"), max_length=MAX_QUERY_LENGTH, required=False)
    programme = forms.ModelChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.order_by("name"),
        required=False,
        empty_label=_("Any programme"),
    )
    sector = forms.ChoiceField(
        label=_("Sector"), choices=_any(_("Any sector")) + Sector.choices, required=False
    )
    region = forms.ChoiceField(
        label=_("Region"), choices=_any(_("Any region")) + Region.choices, required=False
    )
    policy_area = forms.ModelChoiceField(
        label=_("Policy area"),
        queryset=Theme.objects.order_by("name"),
        required=False,
        empty_label=_("Any policy area"),
    )
    date_from = forms.DateField(
        label=_("Free place from"), required=False, input_formats=[DATE_FORMAT], widget=IsoDateInput()
    )
    date_to = forms.DateField(
        label=_("Free place until"), required=False, input_formats=[DATE_FORMAT], widget=IsoDateInput()
    )
    duration = forms.ChoiceField(
        label=_("Duration"), choices=_any(_("Any duration")) + Duration.choices, required=False
    )
    free_places = forms.BooleanField(label=_("Only show opportunities with free places"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        choices=[
            (Sort.SOONEST, _("Soonest free place")),
            (Sort.NEWEST, _("Newest")),
            (Sort.RELEVANCE, _("Best match for the keywords")),
        ],
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date_from"].error_messages["invalid"] = _("Enter a real date for ‘free place from’")
        self.fields["date_to"].error_messages["invalid"] = _("Enter a real date for ‘free place until’")
        self.fields["q"].error_messages["max_length"] = _(
            "Keywords must be %(limit_value)d characters or fewer"
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

    MAX_ID = 2**63 - 1

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
            "Where you usually work, so we can suggest opportunities near you. For example, SW1A 2NS."
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
