from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

ON, OFF = "on", "off"


class RemindersForm(forms.Form):
    reminders = forms.ChoiceField(
        label=_("Reminders and digests by e-mail"),
        choices=[(ON, _("Send me reminders")), (OFF, _("Do not send me reminders"))],
        widget=forms.RadioSelect,
        help_text=_(
            "Reminders about visits, requests waiting for an answer and debriefs, and the weekly digest. "
            "Confirmations, cancellations and other essential e-mails are still sent."
        ),
        error_messages={
            "required": _("Select whether you want reminders"),
            "invalid_choice": _("Select whether you want reminders"),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.radios("reminders", legend_size=Size.LARGE, legend_tag="h1"),
            Submit("submit", _("Save")),
        )

    @property
    def reminders_on(self) -> bool:
        return self.cleaned_data["reminders"] == ON


class UnsubscribeForm(forms.Form):
    """Only a button: the signed token in the address says whose reminders stop."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(Submit("unsubscribe", _("Turn off reminders")))
