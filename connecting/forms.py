import datetime

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.widgets import DateInputWidget
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _


def render_form_page(request: HttpRequest, template_name: str, context: dict) -> HttpResponse:
    """Render the page of `context["form"]`: 400 when it is re-rendered with errors, else 200."""
    return render(request, template_name, context, status=400 if context["form"].errors else 200)


def posted_data(request):
    """The form data of a POST, else None: an empty POST must still bind, and show its errors."""
    return request.POST if request.method == "POST" else None


def form_add_validation_error(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when it names one, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class RequiredMessagesMixin:
    """Say which answer is missing ("Enter your full name"), as GOV.UK error messages do.

    Forms list their messages in `required_messages`, keyed by field name.
    """

    required_messages: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, message in self.required_messages.items():
            if name in self.fields:
                self.fields[name].error_messages["required"] = message


class FullNameField(forms.CharField):
    """A person's name as they type it, with runs of spaces folded to one ("Iona  MacDonald ")."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Full name"))
        kwargs.setdefault("max_length", 150)
        kwargs.setdefault("error_messages", {"required": _("Enter your full name")})
        super().__init__(**kwargs)

    def to_python(self, value):
        return " ".join(super().to_python(value).split())


class _DateInputWidget(DateInputWidget):
    def id_for_label(self, id_):
        # Django gives a multi-part widget no label id; the error summary must link to the day box.
        return f"{id_}_0" if id_ else ""


class GovukDateField(DateInputField):
    """The GOV.UK date input (day, month, year boxes), with messages a person can act on.

    Give `what` to have every message name the date, as the design system asks: `what="the start
    date"` gives "Enter the start date", "The start date must include a month", "The start date must
    be a real date". Without it the messages are general: `required_message` when any box is empty,
    "Enter the month as a number", "Enter a real date, like 27 3 2027".
    """

    widget = _DateInputWidget
    EARLIEST_YEAR, LATEST_YEAR = 2000, 2100

    def __init__(self, *, what=None, required_message=None, **kwargs):
        if what:
            named = capfirst(what)
            required = format_lazy(_("Enter {what}"), what=what)
            invalid = format_lazy(_("{what} must be a real date"), what=named)
            out_of_range = format_lazy(
                _("{what} must be between {earliest} and {latest}"),
                what=named,
                earliest=self.EARLIEST_YEAR,
                latest=self.LATEST_YEAR,
            )
            missing = (
                format_lazy(_("{what} must include a day"), what=named),
                format_lazy(_("{what} must include a month"), what=named),
                format_lazy(_("{what} must include a year"), what=named),
            )
            not_a_number = (invalid, invalid, invalid)
        else:
            required = required_message or _("Enter the day, month and year")
            invalid = out_of_range = _("Enter a real date, like 27 3 2027")
            missing = (required, required, required)
            not_a_number = (
                _("Enter the day as a number"),
                _("Enter the month as a number"),
                _("Enter the year as a number"),
            )
        parts = tuple(
            forms.CharField(
                label=label,
                error_messages={"incomplete": missing_message},
                validators=[RegexValidator(r"^[0-9]{1,4}$", number_message)],
            )
            for label, missing_message, number_message in zip(
                (_("Day"), _("Month"), _("Year")), missing, not_a_number, strict=True
            )
        )
        # Skip DateInputField.__init__: it would put its own untranslated messages on the parts.
        forms.MultiValueField.__init__(
            self,
            fields=parts,
            require_all_fields=False,
            error_messages={
                "required": required,
                "incomplete": required,
                "invalid": invalid,
                "out_of_range": out_of_range,
            },
            **kwargs,
        )

    def compress(self, data_list):
        day, month, year = data_list
        if not (day and month and year):
            return None
        try:
            value = datetime.date(int(year), int(month), int(day))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not self.EARLIEST_YEAR <= value.year <= self.LATEST_YEAR:
            raise ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return value


class _ClockInput(forms.TextInput):
    """A plain text input, which GOV.UK styles (a TimeInput it does not), showing times as 09:30.

    Not inputmode=numeric: phone number pads have no ":".
    """

    def format_value(self, value):
        if isinstance(value, datetime.time):
            return value.strftime("%H:%M")
        return super().format_value(value)


class ClockTimeField(forms.TimeField):
    """A time of day typed as 09:30, 9.30 or 14:00."""

    input_formats = ["%H:%M", "%H.%M", "%H%M"]

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", _("Use the 24-hour clock, for example 09:30 or 14:00"))
        kwargs.setdefault("widget", _ClockInput(attrs={"maxlength": "5", "autocomplete": "off"}))
        super().__init__(**kwargs)
        self.error_messages["invalid"] = _("Enter a time like 09:30 or 14:00")
