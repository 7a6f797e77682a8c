from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import ConditionalQuestion, ConditionalRadios, Field, Fluid, Layout, Size, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from connecting.forms import RequiredMessagesMixin
from placements.forms.programmes import FirstRadioSelect

REASON_MAX_LENGTH = 2000
_REASON_TOO_LONG = _("The reason must be 2,000 characters or fewer")


def _reason_field(*, label, help_text="", required=True):
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=REASON_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": _REASON_TOO_LONG},
    )


def _helper(*layout) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.layout = Layout(*layout)
    return helper


class _WaitlistField(forms.BooleanField):
    """On the page only when the slot is full, and always sent as 1 from there: a page shown again
    after a refusal must still offer to join."""

    widget = forms.HiddenInput

    def bound_data(self, data, initial):
        return "1"


class BookingRequestForm(RequiredMessagesMixin, forms.Form):
    """Ask for a place, or join the waiting list of a full slot.

    The line manager's address is asked for only when the programme needs their approval. Whether
    the person joins the waiting list is decided by the page they saw (a hidden field), so a slot
    that fills up between the page and the click is refused rather than queued unasked.
    """

    required_messages = {"line_manager_email": _("Enter your line manager’s e-mail address")}

    line_manager_email = forms.EmailField(
        label=_("Your line manager’s e-mail address"),
        max_length=254,
        error_messages={
            "invalid": _("Enter an e-mail address in the correct format, like name@example.gov.uk")
        },
    )
    join_waitlist = _WaitlistField(required=False, initial="1")

    def __init__(self, *args, line_manager_required: bool, full: bool, **kwargs):
        super().__init__(*args, **kwargs)
        layout = []
        if line_manager_required:
            self.fields["line_manager_email"].help_text = _(
                "We will e-mail them a link to approve your visit. The partner is asked only after they approve."
            )
            layout.append(
                Field.text(
                    "line_manager_email", field_width=Fluid.TWO_THIRDS, autocomplete="off", spellcheck="false"
                )
            )
        else:
            del self.fields["line_manager_email"]
        if full:
            layout.append(Field("join_waitlist"))
            layout.append(Submit("request", _("Join the waiting list")))
        else:
            del self.fields["join_waitlist"]
            layout.append(Submit("request", _("Request a place")))
        self.helper = _helper(*layout)


class BookingCancelForm(RequiredMessagesMixin, forms.Form):
    required_messages = {"reason": _("Enter why the booking is being cancelled")}

    reason = _reason_field(
        label=_("Why is the booking being cancelled?"),
        help_text=_("Everyone involved in the visit will see this."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.textarea("reason", label_size=Size.SMALL, rows=4),
            Submit("cancel", _("Cancel booking"), css_class="govuk-button--warning"),
        )


class _ConditionalRadioSelect(forms.RadioSelect):
    """crispy-forms-gds numbers conditional radios from 0: the error summary links to the first."""

    def id_for_label(self, id_, index=None):
        return f"{id_}_0" if index is None and id_ else super().id_for_label(id_, index)


class _DecisionWithReasonForm(RequiredMessagesMixin, forms.Form):
    """Radios with a reason revealed under the "no" answer. The reason is checked here, on the
    server, so the page works the same without JavaScript."""

    YES, NO = "yes", "no"
    yes_label = no_label = reason_required_message = ""

    decision = forms.ChoiceField(widget=_ConditionalRadioSelect)
    reason = _reason_field(label="", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # crispy-forms-gds matches conditional questions to choices by their label, as a plain str.
        yes, no = str(self.yes_label), str(self.no_label)
        self.fields["decision"].choices = [(self.YES, yes), (self.NO, no)]
        self.fields["decision"].error_messages["invalid_choice"] = self.required_messages["decision"]
        self.helper = _helper(
            ConditionalRadios(
                "decision",
                yes,
                ConditionalQuestion(no, Field.textarea("reason", label_size=Size.SMALL, rows=4)),
            ),
            Submit("answer", _("Send answer")),
        )

    @property
    def says_yes(self) -> bool:
        return self.cleaned_data["decision"] == self.YES

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == self.NO and not cleaned.get("reason"):
            self.add_error("reason", ValidationError(self.reason_required_message, code="required"))
        return cleaned


class BookingAnswerForm(_DecisionWithReasonForm):
    """The partner (or the programme team) confirms or declines one request."""

    yes_label = _("Confirm the visit")
    no_label = _("Decline the request")
    reason_required_message = _("Enter why you are declining the request: the participant will see it")
    required_messages = {"decision": _("Select whether to confirm the visit or decline the request")}

    def __init__(self, *args, participant_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].label = _("Can you host %(name)s?") % {"name": participant_name}
        self.fields["reason"].label = _("Why are you declining?")
        self.fields["reason"].help_text = _("The participant will see this.")


class ManagerDecisionForm(_DecisionWithReasonForm):
    """The line manager approves or declines, from the link in their e-mail."""

    yes_label = _("Approve the visit")
    no_label = _("Do not approve the visit")
    reason_required_message = _("Enter why you are not approving the visit: the participant will see it")
    required_messages = {"decision": _("Select whether you approve the visit")}

    def __init__(self, *args, participant_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].label = _("Do you approve this visit by %(name)s?") % {
            "name": participant_name
        }
        self.fields["reason"].label = _("Why are you not approving it?")
        self.fields["reason"].help_text = _("%(name)s will see this.") % {"name": participant_name}


class BookingAttendanceForm(RequiredMessagesMixin, forms.Form):
    required_messages = {"attended": _("Select whether the visitor came")}

    attended = forms.TypedChoiceField(
        choices=[("True", _("Yes, they came")), ("False", _("No, they did not come"))],
        coerce=lambda value: value == "True",
        widget=FirstRadioSelect,
    )

    def __init__(self, *args, participant_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attended"].label = _("Did %(name)s come to the visit?") % {"name": participant_name}
        self.fields["attended"].error_messages["invalid_choice"] = self.required_messages["attended"]
        self.helper = _helper(
            Field.radios("attended", legend_size=Size.MEDIUM, legend_tag="h2", inline=True),
            Submit("save", _("Save attendance")),
        )


class _RowCheckboxes(forms.CheckboxSelectMultiple):
    """The checkboxes are written by hand, one per table row, numbered from 1: the error summary
    links to the first."""

    def id_for_label(self, id_, index=None):
        return f"{id_}_1" if id_ else ""


class BookingIdsField(forms.Field):
    """The ids of the ticked rows. Which of them the person may answer is for the selector to say."""

    widget = _RowCheckboxes

    def to_python(self, value):
        ids = []
        for item in value or []:
            try:
                ids.append(int(item))
            except (TypeError, ValueError):
                raise ValidationError(_("Select the requests from the list"), code="invalid") from None
        return list(dict.fromkeys(ids))

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")


class BookingAnswerManyForm(RequiredMessagesMixin, forms.Form):
    """Confirm or decline the ticked requests. Written by hand in the requests table, not by crispy:
    the checkboxes live in the table's rows."""

    CONFIRM, DECLINE = "confirm", "decline"
    required_messages = {
        "bookings": _("Select at least one request"),
        "action": _("Choose whether to confirm or decline the selected requests"),
    }

    bookings = BookingIdsField(label=_("Requests"))
    action = forms.ChoiceField(choices=[(CONFIRM, _("Confirm selected")), (DECLINE, _("Decline selected"))])
    reason = _reason_field(
        label=_("Reason for declining"),
        help_text=_("Needed only if you decline. The participants will see it."),
        required=False,
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].error_messages["invalid_choice"] = self.required_messages["action"]

    @property
    def confirm(self) -> bool:
        return self.cleaned_data["action"] == self.CONFIRM

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == self.DECLINE and not cleaned.get("reason"):
            self.add_error(
                "reason",
                ValidationError(
                    _("Enter why you are declining the requests: the participants will see it"),
                    code="required",
                ),
            )
        return cleaned
