import datetime

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fieldset, Fluid, Layout, Size, Submit
from django import forms
from django.core.validators import MaxLengthValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connecting.forms import ClockTimeField, GovukDateField, RequiredMessagesMixin
from connecting.postcodes import PostcodeField
from partners.models import Partner
from placements.models import MAX_NOTICE_WORKING_DAYS, Opportunity, Programme, Theme
from placements.services.opportunities import MAX_SERIES_WEEKS, OPPORTUNITY_FIELDS

# Free-text fields have no length in the database; these keep a page readable.
TEXT_LIMITS = {"what_you_will_do": 5000, "site_address": 500, "accessibility": 3000}


def _open_programmes():
    today = timezone.localdate()
    return Programme.objects.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today)).order_by("name")


class OpportunityForm(RequiredMessagesMixin, forms.ModelForm):
    """What a partner offers. The partner is chosen only when the person acts for more than one."""

    required_messages = {
        "partner": _("Select the partner organisation"),
        "title": _("Enter a title"),
        "summary": _("Enter a summary"),
        "what_you_will_do": _("Describe what the visitor will see and do"),
        "duration": _("Select how long the visit lasts"),
        "host_name": _("Enter the host's name"),
        "host_email": _("Enter the host's e-mail address"),
        "programmes": _("Select at least one programme"),
        "minimum_notice_working_days": _("Enter the minimum notice in working days"),
    }

    partner = forms.ModelChoiceField(
        label=_("Partner organisation"), queryset=Partner.objects.none(), empty_label=_("Choose a partner")
    )
    programmes = forms.ModelMultipleChoiceField(
        label=_("Programmes"),
        queryset=Programme.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Participants of these programmes can book it."),
    )
    policy_areas = forms.ModelMultipleChoiceField(
        label=_("Policy areas"),
        queryset=Theme.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Select the policy areas a visitor would learn about."),
    )
    site_postcode = PostcodeField(
        label=_("Site postcode (optional)"),
        required=False,
        help_text=_("Leave empty if the visit is at the organisation's own address."),
    )
    minimum_notice_working_days = forms.IntegerField(
        label=_("Minimum notice in working days"),
        min_value=0,
        max_value=MAX_NOTICE_WORKING_DAYS,
        initial=10,
        error_messages={
            "min_value": _("Minimum notice must be 0 or more working days"),
            "max_value": _("Minimum notice must be %(limit_value)s working days or fewer"),
            "invalid": _("Enter the minimum notice as a whole number of working days"),
        },
    )

    # The order people meet the fields in, so the error summary lists them in that order too.
    field_order = [
        "partner",
        "title",
        "summary",
        "what_you_will_do",
        "duration",
        "programmes",
        "policy_areas",
        "is_remote",
        "site_address",
        "site_postcode",
        "accessibility",
        "vetting_level",
        "ppe",
        "dress_code",
        "minimum_notice_working_days",
        "host_name",
        "host_email",
        "host_phone",
    ]

    class Meta:
        model = Opportunity
        fields = ["partner", *OPPORTUNITY_FIELDS, "programmes", "policy_areas"]
        widgets = {
            "what_you_will_do": forms.Textarea(attrs={"rows": 6}),
            "site_address": forms.Textarea(attrs={"rows": 3}),
            "accessibility": forms.Textarea(attrs={"rows": 4}),
            "duration": forms.RadioSelect,
            "vetting_level": forms.RadioSelect,
        }
        labels = {"is_remote": _("The visit is remote (online)")}
        help_texts = {
            "summary": _("One or two sentences, shown in search results."),
            "accessibility": _("Step-free access, parking, quiet rooms, anything a visitor should know."),
            "ppe": _("For example: provided on arrival. Leave empty if none."),
        }

    def __init__(self, *args, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners
        choices = list(partners[:2])
        self.only_partner = choices[0] if len(choices) == 1 else None
        if self.instance.pk or self.only_partner:
            del self.fields["partner"]
        programmes = _open_programmes()
        if self.instance.pk:  # keep a programme that has since ended ticked and visible
            programmes = programmes | Programme.objects.filter(opportunities=self.instance)
        self.fields["programmes"].queryset = programmes.distinct().order_by("name")
        self.fields["duration"].choices = Opportunity._meta.get_field("duration").choices
        if not self.instance.pk:  # ask, rather than let "No vetting needed" slip through unread
            self.fields["duration"].initial = None
            self.fields["vetting_level"].initial = None
        self.fields["vetting_level"].error_messages["required"] = _("Select the vetting a visitor needs")
        self.fields["host_email"].error_messages["invalid"] = _(
            "Enter an e-mail address in the correct format, like name@example.org"
        )
        for name, limit in TEXT_LIMITS.items():
            self.fields[name].max_length = limit
            self.fields[name].validators.append(MaxLengthValidator(limit))
            self.fields[name].widget.attrs["maxlength"] = str(limit)
            self.fields[name].error_messages["max_length"] = _("Enter %(limit)d characters or fewer") % {
                "limit": limit
            }
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                Field.text("title", field_width=Fluid.TWO_THIRDS),
                Field.text("summary"),
                Field.textarea("what_you_will_do"),
                Field.radios("duration", small=True, inline=True),
                Field.checkboxes("programmes", small=True),
                Field.checkboxes("policy_areas", small=True),
                legend=_("About the opportunity"),
                legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.checkbox("is_remote", small=True),
                Field.textarea("site_address"),
                Field.text("site_postcode", field_width=10),
                Field.textarea("accessibility"),
                legend=_("Where"),
                legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.radios("vetting_level", small=True),
                Field.text("ppe"),
                Field.text("dress_code"),
                Field.text("minimum_notice_working_days", field_width=4),
                legend=_("Requirements"),
                legend_size=Size.MEDIUM,
            ),
            Fieldset(
                Field.text("host_name", field_width=Fluid.TWO_THIRDS),
                Field.text("host_email", field_width=Fluid.TWO_THIRDS),
                Field.text("host_phone", field_width=20),
                legend=_("Host contact"),
                legend_size=Size.MEDIUM,
            ),
            Submit("save", _("Save opportunity")),
        )
        if "partner" in self.fields:
            self.helper.layout.insert(0, Field.select("partner"))

    def chosen_partner(self) -> Partner:
        return self.cleaned_data.get("partner") or self.only_partner or self.instance.partner


class _SlotTimesMixin(forms.Form):
    start_time = ClockTimeField(label=_("Start time"), error_messages={"required": _("Enter the start time")})
    end_time = ClockTimeField(label=_("End time"), error_messages={"required": _("Enter the end time")})
    capacity = forms.IntegerField(
        label=_("Places"),
        min_value=1,
        max_value=1000,
        error_messages={
            "required": _("Enter the number of places"),
            "min_value": _("A slot needs at least 1 place"),
            "max_value": _("A slot can have at most %(limit_value)s places"),
            "invalid": _("Enter the number of places as a whole number, like 2"),
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )

    def _check_end_after_start(self, cleaned, *, same_day: bool = True) -> None:
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if same_day and start and end and end <= start:
            self.add_error("end_time", _("The end time must be after the start time"))


def _at(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, time))


class SlotForm(_SlotTimesMixin):
    """One dated session. A visit over several days gives its last day too."""

    field_order = ["date", "start_time", "end_date", "end_time", "capacity"]

    date = GovukDateField(
        label=_("Date"), help_text=_("For example, 27 3 2027"), required_message=_("Enter the date")
    )
    end_date = GovukDateField(
        label=_("Last day (optional)"),
        help_text=_("Only if the visit lasts more than one day"),
        required=False,
    )

    def __init__(self, *args, submit_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field("date"),
            Field.text("start_time", field_width=5),
            Field("end_date"),
            Field.text("end_time", field_width=5),
            Field.text("capacity", field_width=3),
            Submit("save", submit_label or _("Save slot")),
        )

    @classmethod
    def initial_for(cls, slot) -> dict:
        start, end = timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at)
        return {
            "date": start.date(),
            "start_time": start.time(),
            "end_date": end.date() if end.date() != start.date() else None,
            "end_time": end.time(),
            "capacity": slot.capacity,
        }

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("date"), cleaned.get("end_date")
        if first and last and last < first:
            self.add_error("end_date", _("The last day must be the same as or after the date"))
        self._check_end_after_start(cleaned, same_day=not (first and last and last > first))
        return cleaned

    def times(self) -> tuple[datetime.datetime, datetime.datetime]:
        first = self.cleaned_data["date"]
        last = self.cleaned_data.get("end_date") or first
        return _at(first, self.cleaned_data["start_time"]), _at(last, self.cleaned_data["end_time"])


class SlotSeriesForm(_SlotTimesMixin):
    field_order = ["first_day", "weeks", "start_time", "end_time", "capacity", "skip_bank_holidays"]
    first_day = GovukDateField(
        label=_("First date"),
        help_text=_("The series repeats every week on this day of the week. For example, 27 3 2027"),
        required_message=_("Enter the first date"),
    )
    weeks = forms.IntegerField(
        label=_("Number of weeks"),
        min_value=1,
        max_value=MAX_SERIES_WEEKS,
        error_messages={
            "required": _("Enter the number of weeks"),
            "min_value": _("Enter a number of weeks from 1 to %(max)d") % {"max": MAX_SERIES_WEEKS},
            "max_value": _("Enter a number of weeks from 1 to %(max)d") % {"max": MAX_SERIES_WEEKS},
            "invalid": _("Enter the number of weeks as a whole number, like 8"),
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    skip_bank_holidays = forms.BooleanField(label=_("Skip bank holidays"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field("first_day"),
            Field.text("weeks", field_width=3),
            Field.text("start_time", field_width=5),
            Field.text("end_time", field_width=5),
            Field.text("capacity", field_width=3),
            Field.checkbox("skip_bank_holidays", small=True),
            Submit("save", _("Add the series")),
        )

    def clean(self):
        cleaned = super().clean()
        self._check_end_after_start(cleaned)
        return cleaned
