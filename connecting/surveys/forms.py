"""Survey forms: the team's draft (details plus a formset of questions) and the invitee's answers.

The forms clean what was typed, one message per problem; the services decide what a draft and an
answer may be, and their refusals are put back on these forms.
"""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Field, Fieldset, Fluid, Layout, Size, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from connecting.forms import GovukDateField, RequiredMessagesMixin
from connecting.surveys.models import (
    MAX_QUESTIONS,
    NO,
    YES,
    QuestionKind,
    Survey,
    SurveyAudience,
    SurveyQuestion,
)
from connecting.surveys.selectors import scale_labels
from connecting.surveys.services import ANSWER_MAX_LENGTH, QuestionInput, SurveyInput
from placements.models import Cohort, Programme

BLANK_QUESTION_ROWS = 3
INTRODUCTION_MAX_LENGTH = 2000


class FirstRadioSelect(forms.RadioSelect):
    """Radios whose field id points at the first button (crispy-forms-gds numbers them from 1), so
    the error summary's link lands on it."""

    def id_for_label(self, id_, index=None):
        return f"{id_}_1" if index is None and id_ else super().id_for_label(id_, index)


class _TextField(forms.CharField):
    """Text with one message per problem, each naming the answer: too long, or a NUL byte."""

    def __init__(self, *, what, max_length, **kwargs):
        super().__init__(max_length=max_length, strip=True, **kwargs)
        named = capfirst(what)
        self.validators = [
            v for v in self.validators if type(v).__name__ != "ProhibitNullCharactersValidator"
        ]
        self.error_messages["max_length"] = format_lazy(
            _("{what} must be {most} characters or fewer"), what=named, most=f"{max_length:,}"
        )
        self._null_message = format_lazy(_("{what} must not include special characters"), what=named)

    def to_python(self, value):
        if isinstance(value, str) and "\x00" in value:
            raise ValidationError(self._null_message, code="null_characters_not_allowed")
        return super().to_python(value)


def _helper(*layout, csrf: bool = True) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = not csrf
    helper.layout = Layout(*layout)
    return helper


# --- The team's draft ---------------------------------------------------------------------------------


class CohortChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Cohort) -> str:
        return f"{obj.programme.name}: {obj.name}"


class SurveyForm(RequiredMessagesMixin, forms.Form):
    required_messages = {
        "title": _("Enter the survey’s title"),
        "programme": _("Select the programme"),
        "audience": _("Select who the survey is for"),
    }

    title = _TextField(
        label=_("Title"), what=_("the title"), max_length=Survey._meta.get_field("title").max_length
    )
    programme = forms.ModelChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.order_by("name", "pk"),
        empty_label=_("Select a programme"),
        error_messages={"invalid_choice": _("Select one of the programmes")},
    )
    cohort = CohortChoiceField(
        label=_("Cohort (optional)"),
        queryset=Cohort.objects.select_related("programme").order_by("programme__name", "-starts_on", "name"),
        required=False,
        empty_label=_("Everyone on the programme"),
        help_text=_("Send an end-of-cohort survey to one cohort only."),
        error_messages={"invalid_choice": _("Select one of the cohorts")},
    )
    audience = forms.ChoiceField(
        label=_("Who is the survey for?"),
        choices=[
            (SurveyAudience.PARTICIPANTS, _("Participants enrolled in the programme or cohort")),
            (SurveyAudience.PARTNERS, _("Contacts of partners that hosted visits for the programme")),
        ],
        widget=FirstRadioSelect,
        error_messages={"invalid_choice": _("Select who the survey is for")},
    )
    introduction = _TextField(
        label=_("Introduction (optional)"),
        what=_("the introduction"),
        max_length=INTRODUCTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea,
        help_text=_("Shown above the questions and in the invitation e-mail."),
    )
    closes_on = GovukDateField(
        label=_("Closing date (optional)"),
        what=_("the closing date"),
        required=False,
        help_text=_("The last day people can answer. For example, 31 7 2027"),
    )

    def __init__(self, *args, submit_label, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("title", field_width=Fluid.TWO_THIRDS),
            Field.select("programme"),
            Field.select("cohort"),
            Field.radios("audience", legend_size=Size.SMALL),
            Field.textarea("introduction", rows=4),
            Field("closes_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            HTML('{% include "surveys/_survey_questions.html" %}'),
            Submit("save", submit_label, data_prevent_double_click="true"),
        )

    def clean(self):
        cleaned = super().clean()
        cohort, programme = cleaned.get("cohort"), cleaned.get("programme")
        if cohort is not None and programme is not None and cohort.programme_id != programme.pk:
            self.add_error("cohort", _("Select a cohort of the programme, or everyone on the programme"))
        return cleaned

    def survey_input(self) -> SurveyInput:
        cleaned = self.cleaned_data
        return SurveyInput(
            programme=cleaned["programme"],
            cohort=cleaned["cohort"],
            audience=cleaned["audience"],
            title=cleaned["title"],
            introduction=cleaned["introduction"],
            closes_on=cleaned["closes_on"],
        )

    @staticmethod
    def initial_for(survey: Survey) -> dict:
        return {
            "title": survey.title,
            "programme": survey.programme_id,
            "cohort": survey.cohort_id,
            "audience": survey.audience,
            "introduction": survey.introduction,
            "closes_on": survey.closes_on,
        }


class QuestionForm(forms.Form):
    """One question. A row with no question and no statement is no question; a row partly filled is
    an error on that row."""

    text = _TextField(
        label=_("Question"),
        what=_("the question"),
        max_length=SurveyQuestion._meta.get_field("text").max_length,
        required=False,
        help_text=_("For example, The visit helped me understand the frontline better"),
    )
    kind = forms.ChoiceField(
        label=_("Type of answer"),
        choices=QuestionKind.choices,
        required=False,
        widget=FirstRadioSelect,
        error_messages={"invalid_choice": _("Select the type of answer")},
    )
    statement = _TextField(
        label=_("Result statement (for scale and yes/no questions)"),
        what=_("the result statement"),
        max_length=SurveyQuestion._meta.get_field("statement").max_length,
        required=False,
        help_text=_(
            "How the result reads after “85% of participants”, for example: understood the frontline better"
        ),
    )

    def __init__(self, *args, number: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.number = number or 1
        self.helper = _helper(
            Fieldset(
                Field.text("text", label_size=Size.SMALL),
                Field.radios("kind", small=True, legend_size=Size.SMALL),
                Field.text("statement", label_size=Size.SMALL),
                legend=format_lazy(_("Question {number}"), number=self.number),
                legend_size=Size.MEDIUM,
            ),
            csrf=False,
        )

    @property
    def is_blank(self) -> bool:
        return not (self.cleaned_data.get("text") or self.cleaned_data.get("statement"))

    def clean(self):
        cleaned = super().clean()
        if self.errors or not (cleaned.get("text") or cleaned.get("statement")):
            return cleaned
        if not cleaned.get("text"):
            self.add_error("text", _("Enter the question"))
        if not cleaned.get("kind"):
            self.add_error("kind", _("Select the type of answer"))
        elif cleaned["kind"] != QuestionKind.FREE_TEXT and not cleaned.get("statement"):
            self.add_error("statement", _("Enter the result statement for a scale or yes/no question"))
        return cleaned

    def question_input(self) -> QuestionInput | None:
        if self.is_blank:
            return None
        cleaned = self.cleaned_data
        return QuestionInput(text=cleaned["text"], kind=cleaned["kind"], statement=cleaned["statement"])


class BaseQuestionFormSet(forms.BaseFormSet):
    default_error_messages = {
        "missing_management_form": _("The list of questions was incomplete: enter your questions again"),
        "too_many_forms": _("Ask at most %(num)d questions"),
        "too_few_forms": _("Ask at least %(num)d question"),
    }

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "number": (index or 0) + 1}

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not self.question_inputs():
            raise ValidationError(_("Ask at least one question"), code="no_questions")

    def question_inputs(self) -> list[QuestionInput]:
        return [question for form in self.forms if (question := form.question_input()) is not None]

    def error_items(self) -> list[tuple[str, str]]:
        """(anchor, message) for the error summary: the list's own errors, then each row's."""
        items = [("questions", str(error)) for error in self.non_form_errors()]
        for form in self.forms:
            row = str(_("Question %(number)d") % {"number": form.number})
            for field in form:
                anchor = field.id_for_label or field.auto_id
                items += [(anchor, f"{row}: {error}") for error in field.errors]
        return items


def question_formset(data=None, *, questions=()):
    """The survey's questions, one row each, then empty rows to add more: never more than MAX_QUESTIONS."""
    initial = [{"text": q.text, "kind": q.kind, "statement": q.statement} for q in questions]
    formset_class = forms.formset_factory(
        QuestionForm,
        formset=BaseQuestionFormSet,
        extra=max(0, min(BLANK_QUESTION_ROWS, MAX_QUESTIONS - len(initial))),
        max_num=MAX_QUESTIONS,
        validate_max=True,
        absolute_max=MAX_QUESTIONS,
    )
    return formset_class(data, initial=initial, prefix="questions")


def survey_error_items(form: SurveyForm, formset: BaseQuestionFormSet) -> list[tuple[str, str]]:
    """(anchor, message) for the error summary, in the order of the page."""
    items = [("main-content", str(error)) for error in form.non_field_errors()]
    for field in form.visible_fields():
        anchor = field.id_for_label or f"{field.auto_id}_1"
        items += [(anchor, str(error)) for error in field.errors]
    return items + formset.error_items()


# --- The invitee's answers ---------------------------------------------------------------------------


def answer_field_name(question: SurveyQuestion) -> str:
    return f"question_{question.pk}"


class AnswerForm(forms.Form):
    """One field a question, named `question_<id>`: radios for a scale or yes/no, a text box for
    free text. Only this survey's questions are read, so an answer posted for any other is ignored;
    the service checks again."""

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        labels = scale_labels()
        layout = []
        for number, question in enumerate(self.questions, start=1):
            name = answer_field_name(question)
            # Escaped here: crispy-forms-gds writes a radio group's legend unescaped.
            label = escape(f"{number}. {question.text}")
            if question.kind == QuestionKind.FREE_TEXT:
                self.fields[name] = _TextField(
                    label=label,
                    what=format_lazy(_("your answer to question {number}"), number=number),
                    max_length=ANSWER_MAX_LENGTH,
                    required=question.required,
                    widget=forms.Textarea,
                    help_text="" if question.required else _("Optional"),
                )
                layout.append(Field.textarea(name, label_size=Size.SMALL, rows=4))
                continue
            message = format_lazy(_("Select an answer to question {number}"), number=number)
            if question.kind == QuestionKind.AGREE_SCALE:
                choices = [(value, text) for value, text in labels.items()]
            else:
                choices = [(YES, _("Yes")), (NO, _("No"))]
            self.fields[name] = forms.TypedChoiceField(
                label=label,
                choices=choices,
                coerce=int,
                empty_value=None,
                required=question.required,
                widget=FirstRadioSelect,
                error_messages={"required": message, "invalid_choice": message},
            )
            layout.append(Field.radios(name, small=True, legend_size=Size.SMALL))
        layout.append(Submit("send", _("Send your answers"), data_prevent_double_click="true"))
        self.helper = _helper(*layout)

    def answers(self) -> dict[int, object]:
        """Question id to what was given, for the service; unanswered optional questions left out."""
        given = {}
        for question in self.questions:
            value = self.cleaned_data.get(answer_field_name(question))
            if value not in (None, ""):
                given[question.pk] = value
        return given
