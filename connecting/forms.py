from django import forms
from django.core.exceptions import ValidationError
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
