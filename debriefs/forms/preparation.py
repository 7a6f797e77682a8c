"""Before the visit: the participant's preparation and the partner's joining instructions.

The forms clean what was typed (one message per problem); the services decide what a draft, a
submission and the booking's state allow, and their refusals are put back on these forms.
"""

import re

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Button, Div, Field, Layout, Size, Submit
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from connecting.forms import RequiredMessagesMixin
from connecting.uploads import DocumentField
from placements.models import Theme

TEXT_MAX_LENGTH = 5000
NAME_MAX_LENGTH = 200
# A tag, a comment or a declaration: "<b>", "</p>", "<!DOCTYPE html>", "<!--". "a < b", "x<y" and
# "<3" are prose. A scan from each "<" stops at the next "<" or ">", so hostile input stays linear.
_MARKUP = re.compile(r"<[/!?]?[A-Za-z][^<>]*>|<!--")

ACTION_DRAFT = "draft"
ACTION_SUBMIT = "submit"


class _TextField(forms.CharField):
    """Free text with one message per problem, each naming the answer (`what`): too long first,
    then special characters, then markup."""

    def __init__(self, *, what, max_length=TEXT_MAX_LENGTH, **kwargs):
        super().__init__(max_length=max_length, strip=True, **kwargs)
        named = capfirst(what)
        self.validators = [
            validator
            for validator in self.validators
            if not isinstance(validator, ProhibitNullCharactersValidator)
        ]
        self.error_messages["max_length"] = format_lazy(
            _("{what} must be {most} characters or fewer"), what=named, most=f"{max_length:,}"
        )
        self._null_message = format_lazy(_("{what} must not include special characters"), what=named)
        self._markup_message = format_lazy(
            _("{what} must not include HTML or other code: remove the < and > around it"), what=named
        )

    def to_python(self, value):
        if isinstance(value, str) and "\x00" in value:
            raise ValidationError(self._null_message, code="null_characters_not_allowed")
        return super().to_python(value)

    def run_validators(self, value):
        super().run_validators(value)  # the length, first
        if value and _MARKUP.search(value):
            raise ValidationError(self._markup_message, code="markup")


def _textarea(*, label, what, help_text="", required=False):
    return _TextField(label=label, what=what, help_text=help_text, required=required, widget=forms.Textarea)


def _small_label(name: str, *, rows: int | None = None) -> Field:
    """A question on a page of several: its label a small heading; a text box of `rows` lines."""
    if rows:
        return Field.textarea(name, label_size=Size.SMALL, rows=rows)
    return Field(name, context={"label_size": Size.for_label(Size.SMALL)})


def action_button(action: str, label, *, secondary: bool = False) -> Button:
    """A button sending `action=<action>`: one form, two outcomes, told apart by value, not label."""
    button = Button(
        "action",
        label,
        css_id=f"action-{action}",
        css_class="govuk-button--secondary" if secondary else None,
        data_prevent_double_click="true",
    )
    button.flat_attrs += flatatt({"type": "submit", "value": action})
    return button


def personal_data_error(where, finding) -> ValidationError:
    """One finding of the personal-data scan, naming the answer it is in: "Your questions: a phone
    number (020 7946 0018)"."""
    return ValidationError(
        "%(where)s: %(kind)s (%(text)s)",
        code="personal_data",
        params={"where": where, "kind": finding.label, "text": finding.text},
    )


def _helper(*layout) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.layout = Layout(*layout)
    return helper


def personal_data_confirmed_field() -> forms.BooleanField:
    return forms.BooleanField(
        label=_("I have checked: these are not details of a patient, service user or member of the public"),
        required=False,
    )


class PersonalDataWarningMixin:
    """For forms whose text the services scan for personal data. The form has a
    `personal_data_confirmed` field, shown once a warning has been given (and on the next post),
    `SHORT_NAMES` naming each scanned answer, and `personal_data_lead`, the summary's first line."""

    SHORT_NAMES: dict = {}
    personal_data_lead = ""

    def add_personal_data_warning(self, findings: dict) -> None:
        """Name each finding on its field, and offer the checkbox that says the text is fine."""
        self.add_error(None, ValidationError(self.personal_data_lead, code="personal_data"))
        for name, found in findings.items():
            for finding in found:
                self.add_error(name, personal_data_error(self.SHORT_NAMES[name], finding))
        self.asks_personal_data_confirmation = True


class PreparationForm(PersonalDataWarningMixin, forms.Form):
    """The participant's preparation. Nothing here is required: a draft may be anything. Submitting
    needs objectives, questions and the acknowledgement, which the service checks and reports on
    these fields."""

    objectives = _textarea(
        label=_("What do you want to learn from the visit?"),
        what=_("what you want to learn"),
        help_text=_("Your host reads this before the visit, so they can plan the day around it."),
    )
    questions = _textarea(
        label=_("What questions do you have for your host?"), what=_("your questions for your host")
    )
    policy_area = forms.ModelChoiceField(
        label=_("Which policy area does the visit relate to? (optional)"),
        queryset=Theme.objects.order_by("name", "pk"),
        required=False,
        empty_label=_("Select a policy area"),
        error_messages={"invalid_choice": _("Select a policy area from the list")},
    )
    prior_knowledge = _textarea(
        label=_("What do you already know about this area? (optional)"), what=_("what you already know")
    )
    access_needs = _textarea(
        label=_("Do you have any access needs? (optional)"),
        what=_("your access needs"),
        help_text=_(
            "For example, step-free access, a quiet room or a hearing loop. Your host will see this."
        ),
    )
    confidentiality_acknowledged = forms.BooleanField(required=False)
    personal_data_confirmed = personal_data_confirmed_field()

    # How each answer is named in a personal-data warning ("Your questions: a phone number (...)").
    SHORT_NAMES = {
        "objectives": _("What you want to learn"),
        "questions": _("Your questions"),
        "prior_knowledge": _("What you already know"),
        "access_needs": _("Your access needs"),
    }

    def __init__(self, *args, partner_name: str, submitted: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # Labels are rendered as they are (crispy-forms-gds marks them safe): escape the name.
        self.fields["confidentiality_acknowledged"].label = format_html(
            _("I will follow {partner}’s confidentiality and safeguarding expectations"), partner=partner_name
        )
        self.submitted = submitted
        self.asks_personal_data_confirmation = bool(self.data.get("personal_data_confirmed"))
        self._build_layout()

    def _build_layout(self) -> None:
        buttons = [action_button(ACTION_SUBMIT, _("Submit") if not self.submitted else _("Save changes"))]
        if not self.submitted:
            buttons.append(action_button(ACTION_DRAFT, _("Save as draft"), secondary=True))
        confirmation = (
            [Field.checkbox("personal_data_confirmed")] if self.asks_personal_data_confirmation else []
        )
        self.helper = _helper(
            _small_label("objectives", rows=5),
            _small_label("questions", rows=5),
            _small_label("policy_area"),
            _small_label("prior_knowledge", rows=4),
            _small_label("access_needs", rows=3),
            HTML('{% include "debriefs/_preparation_expectations.html" %}'),
            Field.checkbox("confidentiality_acknowledged"),
            *confirmation,
            Div(*buttons, css_class="govuk-button-group"),
        )

    @property
    def submitting(self) -> bool:
        """Which button was pressed. Anything but "Save as draft" submits: it is the form's first
        button, the one a browser presses when Enter is hit in a text box."""
        return self.data.get("action") != ACTION_DRAFT

    personal_data_lead = _(
        "Your preparation may include details of a person. Remove them, or tick the box to say "
        "they are not details of a patient, service user or member of the public."
    )

    def add_personal_data_warning(self, findings: dict) -> None:
        super().add_personal_data_warning(findings)
        self._build_layout()  # now with the checkbox


class JoiningInstructionsForm(RequiredMessagesMixin, forms.Form):
    required_messages = {
        "where_to_go": _("Enter where the visitor should go"),
        "who_to_ask_for": _("Enter who the visitor should ask for"),
        "timings": _("Enter the timings for the day"),
    }

    where_to_go = _textarea(
        label=_("Where should the visitor go?"),
        what=_("where to go"),
        help_text=_("The address and the entrance, reception or ward to come to."),
        required=True,
    )
    who_to_ask_for = _TextField(
        label=_("Who should they ask for?"),
        what=_("who to ask for"),
        help_text=_("A name and a role, and how to reach them on the day."),
        max_length=NAME_MAX_LENGTH,
        required=True,
    )
    timings = _textarea(
        label=_("What are the timings?"),
        what=_("the timings"),
        help_text=_("When to arrive, breaks, and when the day ends."),
        required=True,
    )
    other_information = _textarea(
        label=_("Is there anything else the visitor should know? (optional)"),
        what=_("anything else the visitor should know"),
        help_text=_("For example, parking, what to wear, or what to bring."),
    )
    briefing_pack = DocumentField(
        label=_("Upload a briefing pack (optional)"),
        required=False,
    )
    remove_briefing_pack = forms.BooleanField(label=_("Remove the briefing pack"), required=False)

    def __init__(self, *args, briefing_pack_filename: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["briefing_pack"].help_text = _("A PDF, DOCX or ODT file, smaller than %(size)d MB.") % {
            "size": settings.UPLOAD_MAX_BYTES // (1024 * 1024)
        }
        layout = [
            _small_label("where_to_go", rows=3),
            _small_label("who_to_ask_for"),
            _small_label("timings", rows=3),
            _small_label("other_information", rows=4),
            _small_label("briefing_pack"),
        ]
        if briefing_pack_filename:
            self.fields["briefing_pack"].label = _("Replace the briefing pack (optional)")
            self.fields["remove_briefing_pack"].label = format_html(
                _("Remove {filename}"), filename=briefing_pack_filename
            )
            self.fields["remove_briefing_pack"].help_text = _(
                "If you tick this, the visitor can no longer download it."
            )
            layout.append(Field.checkbox("remove_briefing_pack"))
        else:
            del self.fields["remove_briefing_pack"]
        layout.append(Submit("save", _("Save joining instructions")))
        self.helper = _helper(*layout)
