import datetime

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.widgets import DateInputWidget
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _


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
    """The GOV.UK date input (day, month, year boxes), with messages a person can act on."""

    widget = _DateInputWidget

    def __init__(self, *, required_message: str | None = None, **kwargs):
        super().__init__(**kwargs)
        message = required_message or _("Enter the day, month and year")
        self.error_messages["required"] = message
        self.error_messages["incomplete"] = message
        for part, name in zip(self.fields, (_("day"), _("month"), _("year")), strict=True):
            part.max_length = 4
            part.validators = [
                RegexValidator(r"^[0-9]{1,4}$", _("Enter the %(part)s as a number") % {"part": name})
            ]

    def compress(self, data_list):
        day, month, year = data_list
        if not (day and month and year):
            return None
        try:
            value = datetime.date(int(year), int(month), int(day))
        except (ValueError, OverflowError) as error:
            raise ValidationError(_("Enter a real date, like 27 3 2027"), code="invalid") from error
        if not 2000 <= value.year <= 2100:
            raise ValidationError(_("Enter a real date, like 27 3 2027"), code="invalid")
        return value


class ClockTimeField(forms.TimeField):
    """A time of day typed as 09:30, 9.30 or 14:00."""

    input_formats = ["%H:%M", "%H.%M", "%H%M"]

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", _("Use the 24-hour clock, for example 09:30 or 14:00"))
        super().__init__(**kwargs)
        self.error_messages["invalid"] = _("Enter a time like 09:30 or 14:00")
        self.widget.attrs.update({"inputmode": "numeric", "maxlength": "5"})
        self.widget.format = "%H:%M"
