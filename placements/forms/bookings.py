from crispy_forms_gds.choices import Choice
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import ConditionalQuestion, ConditionalRadios, Field, Fluid, Layout, Size, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from connecting.forms import RequiredMessagesMixin
from placements.forms.programmes import FirstRadioSelect
from placements.models import ROW_ID_MAX, BookingStatus

REASON_MAX_LENGTH = 2000
EMAIL_MAX_LENGTH = 254
# Database ids are signed 64-bit integers on PostgreSQL: a bigger number cannot name a booking.
BOOKING_ID_MAX = ROW_ID_MAX
_REASON_TOO_LONG = _("The reason must be 2,000 characters or fewer")
_EMAIL_INVALID = _("Enter an e-mail address in the correct format, like name@example.gov.uk")


class _OneProblemMixin:
    """One message per answer: Django reports every failed check at once ("too long" and "null
    characters" and "not an e-mail address"); a person needs the one to fix first."""

    FIRST_PROBLEMS = ("max_length", "null_characters_not_allowed")

    def run_validators(self, value):
        try:
            super().run_validators(value)
        except ValidationError as error:
            order = self.FIRST_PROBLEMS
            first = min(
                error.error_list, key=lambda e: order.index(e.code) if e.code in order else len(order)
            )
            raise ValidationError(first.message, code=first.code, params=first.params) from None


class _ReasonField(_OneProblemMixin, forms.CharField):
    pass


class _EmailField(_OneProblemMixin, forms.EmailField):
    pass


def _reason_field(*, label, help_text="", required=True):
    return _ReasonField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=REASON_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "max_length": _REASON_TOO_LONG,
            "null_characters_not_allowed": _("Enter the reason without special characters"),
        },
    )


def _and_list(items) -> str:
    """Names joined as a sentence: A; A and B; A, B and C."""
    items = [str(item) for item in items]
    if len(items) < 2:
        return "".join(items)
    return _("%(first)s and %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}


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

    `programmes` are the programmes the booking could count towards (the participant's, that offer
    the opportunity). With more than one, the person chooses; with one, it is that one. The line
    manager's address is asked for when any of them needs approval, and required (here, on the
    server, so the page works without JavaScript) only when the chosen one does. Whether the person
    joins the waiting list is decided by the page they saw (a hidden field), so a slot that fills
    up between the page and the click is refused rather than queued unasked.

    `cleaned_data["programme"]` is always the Programme the booking is for.
    """

    required_messages = {
        "programme": _("Select which programme this visit is for"),
        "line_manager_email": _("Enter your line manager’s e-mail address"),
    }

    programme = forms.TypedChoiceField(
        label=_("Which programme is this visit for?"), coerce=int, widget=FirstRadioSelect
    )
    line_manager_email = _EmailField(
        label=_("Your line manager’s e-mail address"),
        max_length=EMAIL_MAX_LENGTH,
        required=False,
        error_messages={
            "invalid": _EMAIL_INVALID,
            "null_characters_not_allowed": _EMAIL_INVALID,
            "max_length": _("Enter an e-mail address of 254 characters or fewer"),
        },
    )
    join_waitlist = _WaitlistField(required=False, initial="1")

    def __init__(self, *args, programmes, full: bool, programme_hints: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.programmes = {programme.pk: programme for programme in programmes}
        needing_approval = [p for p in programmes if p.line_manager_approval_required]
        layout = []
        if len(programmes) > 1:
            hints = programme_hints or {}
            self.fields["programme"].choices = [
                Choice(programme.pk, programme.name, hint=hints.get(programme.pk, ""))
                for programme in programmes
            ]
            self.fields["programme"].error_messages["invalid_choice"] = self.required_messages["programme"]
            layout.append(Field.radios("programme", legend_size=Size.MEDIUM, legend_tag="h2"))
        else:
            del self.fields["programme"]
        if needing_approval:
            field = self.fields["line_manager_email"]
            if len(programmes) > 1:
                field.help_text = _("Needed for %(programmes)s") % {
                    "programmes": _and_list(p.name for p in needing_approval)
                }
            elif needing_approval[0].bookings_confirmed_automatically:
                field.help_text = _(
                    "We will e-mail them a link to approve your visit. Once your line manager approves, "
                    "your place is confirmed."
                )
            else:
                field.help_text = _(
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

    def clean(self):
        cleaned = super().clean()
        if "programme" in self.fields:
            programme = self.programmes.get(cleaned.get("programme"))
        else:
            programme = next(iter(self.programmes.values()), None)
        cleaned["programme"] = programme
        if programme is None or not programme.line_manager_approval_required:
            # Asked for because another programme needs it: for this one it is not used, so not checked.
            self._errors.pop("line_manager_email", None)
            cleaned["line_manager_email"] = ""
        elif not cleaned.get("line_manager_email") and "line_manager_email" not in self.errors:
            self.add_error(
                "line_manager_email",
                ValidationError(self.required_messages["line_manager_email"], code="required"),
            )
        return cleaned


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
        # A reason that failed its own checks (too long, special characters) is not a missing one.
        if cleaned.get("decision") == self.NO and not cleaned.get("reason") and "reason" not in self.errors:
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
        # crispy-forms-gds prints labels and hints unescaped: a name is a person's own text.
        self.fields["decision"].label = format_html(_("Can you host {name}?"), name=participant_name)
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
        self.fields["decision"].label = format_html(
            _("Do you approve this visit by {name}?"), name=participant_name
        )
        self.fields["reason"].label = _("Why are you not approving it?")
        self.fields["reason"].help_text = format_html(_("{name} will see this."), name=participant_name)


class BookingAttendanceForm(RequiredMessagesMixin, forms.Form):
    required_messages = {"attended": _("Select whether the visitor came")}

    attended = forms.TypedChoiceField(
        choices=[("True", _("Yes, they came")), ("False", _("No, they did not come"))],
        coerce=lambda value: value == "True",
        widget=FirstRadioSelect,
    )

    def __init__(self, *args, participant_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attended"].label = format_html(_("Did {name} come to the visit?"), name=participant_name)
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


def _is_booking_id(item) -> bool:
    """Digits only ("1e3", " 7", "-1", "٣" are not ids), from 1 to the largest id the database holds."""
    return (
        isinstance(item, str)
        and 0 < len(item) <= len(str(BOOKING_ID_MAX))
        and item.isascii()
        and item.isdigit()
        and 0 < int(item) <= BOOKING_ID_MAX
    )


class BookingIdsField(forms.Field):
    """The ids of the ticked rows. Which of them the person may answer is for the selector to say."""

    widget = _RowCheckboxes

    def to_python(self, value):
        ids = []
        for item in value or []:
            if not _is_booking_id(item):
                raise ValidationError(_("Select the requests from the list"), code="invalid")
            ids.append(int(item))
        return list(dict.fromkeys(ids))

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")


class _NextField(forms.CharField):
    """Where to come back to. Never an error: the view checks the address is safe, and anything odd
    here just means "nowhere"."""

    widget = forms.HiddenInput

    def clean(self, value):
        value = self.to_python(value)
        # Only a path: `redirect()` would take a bare word ("x") for the name of a view and fail.
        return value if len(value) <= 2000 and "\x00" not in value and value.startswith("/") else ""


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
    next = _NextField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].error_messages["invalid_choice"] = self.required_messages["action"]

    @property
    def confirm(self) -> bool:
        return self.cleaned_data["action"] == self.CONFIRM

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("action") == self.DECLINE
            and not cleaned.get("reason")
            and "reason" not in self.errors
        ):
            self.add_error(
                "reason",
                ValidationError(
                    _("Enter why you are declining the requests: the participants will see it"),
                    code="required",
                ),
            )
        return cleaned


class BookingFilterForm(forms.Form):
    """Filters for the bookings list, read from the query string; every one optional."""

    UPCOMING, PAST = "upcoming", "past"

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All"))] + BookingStatus.choices,
        error_messages={"invalid_choice": _("Choose a status from the list")},
    )
    when = forms.ChoiceField(
        label=_("When"),
        required=False,
        choices=[("", _("Upcoming and past")), (UPCOMING, _("Upcoming")), (PAST, _("Past"))],
        error_messages={"invalid_choice": _("Choose upcoming or past from the list")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        # A GET form: without these crispy would put the CSRF token into every filtered URL.
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.layout = Layout(Field.select("status"), Field.select("when"))

    def filters(self) -> dict[str, str]:
        """The valid filters as keyword arguments for the selector; a bad one is dropped, not guessed."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {"status": cleaned.get("status") or "", "when": cleaned.get("when") or ""}
