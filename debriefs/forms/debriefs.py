"""After the visit: the participant's debrief (with its actions) and the host's feedback.

The forms clean what was typed, one message per problem; the services decide what a draft, a
submission and the booking's state allow, and their refusals are put back on these forms. Free text
shares the preparation form's field (too long, special characters, markup: each its own message)
and its buttons (`action=draft` or `action=submit`, told apart by value, not label).
"""

from crispy_forms_gds.choices import Choice
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Div, Field, Fieldset, Fluid, Layout, Size, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from connecting.forms import GovukDateField
from debriefs.forms.preparation import (
    ACTION_DRAFT,
    ACTION_SUBMIT,
    PersonalDataWarningMixin,
    _textarea,
    _TextField,
    action_button,
    personal_data_confirmed_field,
)
from debriefs.models import DebriefAction, SharingConsent, VisitorPrepared, WouldHostAgain
from debriefs.services.debriefs import DEBRIEF_TEXT_FIELDS, MAX_ACTIONS, MAX_TAGS, TAG_MAX_LENGTH, ActionInput
from placements.forms.programmes import FirstRadioSelect
from placements.models import Theme

# Room for every tag at its longest, with a comma and a space between them.
TAGS_MAX_LENGTH = MAX_TAGS * (TAG_MAX_LENGTH + 2)

USEFULNESS_CHOICES = [
    (1, _("1 – Not useful")),
    (2, _("2 – Slightly useful")),
    (3, _("3 – Useful")),
    (4, _("4 – Very useful")),
    (5, _("5 – Extremely useful")),
]
VALUE_CHOICES = [
    (1, _("1 – No value")),
    (2, _("2 – A little value")),
    (3, _("3 – Some value")),
    (4, _("4 – Good value")),
    (5, _("5 – Great value")),
]
CONSENT_HINTS = {
    SharingConsent.TEAM_ONLY: _("Only the programme team reads your debrief. Nothing from it is published."),
    SharingConsent.ANONYMISED: _(
        "The programme team may publish extracts in the learning library, without your name."
    ),
    SharingConsent.NAMED: _(
        "The programme team may publish extracts in the learning library, with your name and directorate."
    ),
}


def _helper(*layout, csrf: bool = True) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = not csrf
    helper.layout = Layout(*layout)
    return helper


def _radios(*, label, choices, message, coerce=str, required=False):
    """Radios whose every wrong answer (none, or a value not offered) gets the same message."""
    return forms.TypedChoiceField(
        label=label,
        choices=choices,
        coerce=coerce,
        empty_value=None,
        required=required,
        widget=FirstRadioSelect,
        error_messages={"required": message, "invalid_choice": message},
    )


def personal_data_error(where, finding) -> ValidationError:
    """One finding of the personal-data scan, naming the answer it is in: "What I learnt: a phone
    number (07911 123456)"."""
    return ValidationError(
        "%(where)s: %(kind)s (%(text)s)",
        code="personal_data",
        params={"where": where, "kind": finding.label, "text": finding.text},
    )


class ThemeCheckboxes(forms.CheckboxSelectMultiple):
    """crispy-forms-gds numbers checkboxes from 1: the error summary links to the first."""

    def id_for_label(self, id_, index=None):
        return f"{id_}_1" if index is None and id_ else super().id_for_label(id_, index)


class ThemesField(forms.ModelMultipleChoiceField):
    """Themes ticked from the list. Any id that is not one of them, a NUL byte included (Django
    checks for those first, in its own words), gets the same message."""

    def validate_no_null_characters(self, value):
        if "\x00" in str(value):
            raise ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value")


# --- The debrief ------------------------------------------------------------------------------------


class DebriefForm(forms.Form):
    """The debrief's own answers. A draft may be anything; submitting needs what was learnt, how
    useful the visit was and who may see it (checked here, so every problem shows at once, and by
    the service). The actions are a formset of their own (`action_formset`), rendered where the
    layout includes `debriefs/_debrief_actions.html`."""

    # What submitting needs, in the service's words.
    REQUIRED_TO_SUBMIT = {
        "what_i_learnt": _("Enter what you learnt"),
        "usefulness": _("Select how useful the visit was"),
        "consent": _("Select who may see your debrief"),
    }
    # How each answer is named in a personal-data warning ("What I learnt: a phone number (...)").
    SHORT_NAMES = {
        "what_i_saw": _("What I saw"),
        "what_i_learnt": _("What I learnt"),
        "what_surprised_me": _("What surprised me"),
        "what_works": _("What works"),
        "what_does_not_work": _("What does not work"),
        "policy_implications": _("Implications for policy"),
    }

    what_i_saw = _textarea(
        label=_("What did you see?"),
        what=_("what you saw"),
        help_text=_(
            "The teams, meetings and places you saw. Do not name patients, service users or the public."
        ),
    )
    what_i_learnt = _textarea(label=_("What did you learn?"), what=_("what you learnt"))
    what_surprised_me = _textarea(label=_("What surprised you? (optional)"), what=_("what surprised you"))
    what_works = _textarea(label=_("What works well? (optional)"), what=_("what works"))
    what_does_not_work = _textarea(label=_("What does not work? (optional)"), what=_("what does not work"))
    policy_implications = _textarea(
        label=_("What are the implications for policy? (optional)"), what=_("the implications for policy")
    )
    themes = ThemesField(
        label=_("Which policy areas did the visit touch on? (optional)"),
        queryset=Theme.objects.order_by("name", "pk"),
        required=False,
        widget=ThemeCheckboxes,
        help_text=_("Select all that apply."),
        error_messages={
            "invalid_choice": _("Select policy areas from the list"),
            "invalid_pk_value": _("Select policy areas from the list"),
            "invalid_list": _("Select policy areas from the list"),
        },
    )
    tags = _TextField(
        label=_("Tags (optional)"),
        what=_("the tags"),
        max_length=TAGS_MAX_LENGTH,
        required=False,
        help_text=format_lazy(
            _(
                "Words the policy areas do not cover. Separate them with commas, for example: "
                "discharge, care packages. At most {most} tags."
            ),
            most=MAX_TAGS,
        ),
    )
    usefulness = _radios(
        label=_("How useful was the visit to you?"),
        choices=USEFULNESS_CHOICES,
        coerce=int,
        message=REQUIRED_TO_SUBMIT["usefulness"],
    )
    consent = _radios(
        label=_("Who may see your debrief?"),
        choices=[Choice(value, label, hint=CONSENT_HINTS[value]) for value, label in SharingConsent.choices],
        message=REQUIRED_TO_SUBMIT["consent"],
    )
    personal_data_confirmed = forms.BooleanField(
        label=_("I have checked: these are not details of a patient, service user or member of the public"),
        required=False,
    )

    def __init__(self, *args, submitted: bool = False, **kwargs):
        """`submitted`: the debrief is with the team already, so saving it keeps it submitted and
        needs it complete, whichever button was pressed (the service's rule)."""
        super().__init__(*args, **kwargs)
        self.submitted = submitted
        self.complete_required = self.submitting or submitted
        self.asks_personal_data_confirmation = bool(self.data.get("personal_data_confirmed"))
        self._build_layout()

    def _build_layout(self) -> None:
        if self.submitted:
            buttons = [action_button(ACTION_SUBMIT, _("Save changes"))]
        else:
            buttons = [
                action_button(ACTION_SUBMIT, _("Submit for review")),
                action_button(ACTION_DRAFT, _("Save as draft"), secondary=True),
            ]
        confirmation = (
            [Field.checkbox("personal_data_confirmed")] if self.asks_personal_data_confirmation else []
        )
        self.helper = _helper(
            *(Field.textarea(name, label_size=Size.SMALL, rows=5) for name in DEBRIEF_TEXT_FIELDS),
            HTML('{% include "debriefs/_debrief_actions.html" %}'),
            Field.checkboxes("themes", small=True, legend_size=Size.SMALL),
            Field.text("tags", label_size=Size.SMALL),
            Field.radios("usefulness", small=True, legend_size=Size.SMALL),
            Field.radios("consent", legend_size=Size.SMALL),
            *confirmation,
            Div(*buttons, css_class="govuk-button-group"),
        )

    @property
    def submitting(self) -> bool:
        """Which button was pressed. Anything but "Save as draft" submits, as on the preparation
        page: "Submit for review" is the first button, the one Enter in a text box presses."""
        return self.data.get("action") != ACTION_DRAFT

    def clean_tags(self) -> list[str]:
        """The tags as typed, split on commas; the service trims, folds, lower-cases and limits them."""
        return [tag for tag in self.cleaned_data.get("tags", "").split(",") if tag.strip()]

    def clean(self):
        cleaned = super().clean()
        if self.complete_required:
            for name, message in self.REQUIRED_TO_SUBMIT.items():
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, ValidationError(message, code="required"))
        return cleaned

    def ask_personal_data_confirmation(self) -> None:
        self.asks_personal_data_confirmation = True
        self._build_layout()


class ActionForm(forms.Form):
    """One action the participant will take. A row left empty is no action; a row partly filled
    is an error on that row."""

    description = _TextField(
        label=_("Action"),
        what=_("the action"),
        max_length=DebriefAction._meta.get_field("description").max_length,
        required=False,
        help_text=_("What you will do because of the visit."),
    )
    owner = _TextField(
        label=_("Owner"),
        what=_("the owner"),
        max_length=DebriefAction._meta.get_field("owner").max_length,
        required=False,
        help_text=_("Who will do it: you, or a team or role."),
    )
    due_on = GovukDateField(
        label=_("Due date"), what=_("the due date"), required=False, help_text=_("For example, 27 3 2027")
    )

    MISSING = {
        "description": _("Enter the action"),
        "owner": _("Enter who owns the action"),
        "due_on": _("Enter the due date"),
    }

    def __init__(self, *args, number: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.number = number or 1
        self.helper = _helper(
            Fieldset(
                Field.text("description", label_size=Size.SMALL),
                Field.text("owner", label_size=Size.SMALL, field_width=Fluid.TWO_THIRDS),
                Field("due_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
                legend=format_lazy(_("Action {number}"), number=self.number),
                legend_size=Size.SMALL,
            ),
            csrf=False,
        )

    @property
    def is_blank(self) -> bool:
        return not any(self.cleaned_data.get(name) for name in self.MISSING)

    def clean(self):
        cleaned = super().clean()
        given = [name for name in self.MISSING if cleaned.get(name) or name in self.errors]
        if given:
            for name, message in self.MISSING.items():
                if name not in given:
                    self.add_error(name, ValidationError(message, code="required"))
        return cleaned

    def action_input(self) -> ActionInput | None:
        if self.is_blank:
            return None
        cleaned = self.cleaned_data
        return ActionInput(
            description=cleaned["description"], owner=cleaned["owner"], due_on=cleaned["due_on"]
        )


class BaseActionFormSet(forms.BaseFormSet):
    default_error_messages = {
        "missing_management_form": _("The list of actions was incomplete: enter your actions again"),
        "too_many_forms": _("List at most %(num)d actions"),
        "too_few_forms": _("List at least %(num)d actions"),
    }

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "number": (index or 0) + 1}

    def action_inputs(self) -> list[tuple[ActionForm, ActionInput]]:
        """The filled rows, in page order, each with its form (to put a warning back on it)."""
        return [(form, action) for form in self.forms if (action := form.action_input()) is not None]

    def error_items(self) -> list[tuple[str, str]]:
        """(anchor, message) for the error summary: the list's own errors, then each row's."""
        items = [("actions", str(error)) for error in self.non_form_errors()]
        for form in self.forms:
            # Rows ask the same questions, so the summary says which row each problem is in.
            row = str(_("Action %(number)d") % {"number": form.number})
            for field in form:
                items += [
                    (field.id_for_label or field.auto_id, _in_row(row, str(error))) for error in field.errors
                ]
        return items


def _in_row(row: str, message: str) -> str:
    """'Action 2: Enter the due date', unless the message names its row already."""
    return message if message.startswith(f"{row}:") else f"{row}: {message}"


def action_formset(data=None, *, actions=()):
    """The debrief's actions, one row each, plus two empty rows: never more than MAX_ACTIONS."""
    formset_class = forms.formset_factory(
        ActionForm,
        formset=BaseActionFormSet,
        extra=2,
        max_num=MAX_ACTIONS,
        validate_max=True,
        absolute_max=MAX_ACTIONS,
    )
    initial = [{"description": a.description, "owner": a.owner, "due_on": a.due_on} for a in actions]
    return formset_class(data, initial=initial, prefix="actions")


def debrief_error_items(form: DebriefForm, formset: BaseActionFormSet) -> list[tuple[str, str]]:
    """(anchor, message) for the error summary, in the order of the page: the problems with the
    whole debrief, its text, its actions, then the rest. Links go where the site's summary sends
    them (a radio or checkbox group's first input)."""
    items = [("main-content", str(error)) for error in form.non_field_errors()]
    for field in form.visible_fields():
        if field.name == "themes":  # the first field after the actions
            items += formset.error_items()
        anchor = field.id_for_label or f"{field.auto_id}_1"
        items += [(anchor, str(error)) for error in field.errors]
    return items


# --- The host's feedback ----------------------------------------------------------------------------


class PartnerFeedbackForm(PersonalDataWarningMixin, forms.Form):
    visitor_prepared = _radios(
        label=_("Was the visitor prepared for the visit?"),
        choices=VisitorPrepared.choices,
        message=_("Select whether the visitor was prepared"),
        required=True,
    )
    value_to_partner = _radios(
        label=_("How much value was the visit to your organisation?"),
        choices=VALUE_CHOICES,
        coerce=int,
        message=_("Select the value of the visit to your organisation"),
        required=True,
    )
    would_host_again = _radios(
        label=_("Would you host a visit like this again?"),
        choices=WouldHostAgain.choices,
        message=_("Select whether you would host again"),
        required=True,
    )
    comments = _textarea(
        label=_("Comments for the programme team (optional)"),
        what=_("your comments"),
        help_text=_(
            "The visitor does not see your feedback. Do not name patients, service users or the public."
        ),
    )
    personal_data_confirmed = personal_data_confirmed_field()

    SHORT_NAMES = {"comments": _("Your comments")}
    personal_data_lead = _(
        "Your comments may include details of a person. Remove them, or tick the box to say they are "
        "not details of a patient, service user or member of the public."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asks_personal_data_confirmation = bool(self.data.get("personal_data_confirmed"))

    @property
    def helper(self) -> FormHelper:
        # Built when rendered, so a warning added after validation brings its checkbox with it.
        confirmation = (
            [Field.checkbox("personal_data_confirmed")] if self.asks_personal_data_confirmation else []
        )
        return _helper(
            Field.radios("visitor_prepared", small=True, legend_size=Size.SMALL),
            Field.radios("value_to_partner", small=True, legend_size=Size.SMALL),
            Field.radios("would_host_again", small=True, inline=True, legend_size=Size.SMALL),
            Field.textarea("comments", label_size=Size.SMALL, rows=5),
            *confirmation,
            Submit("save", _("Send feedback")),
        )
