"""Survey pages.

The programme team's pages (list, draft, open, close, results) answer 403 to anyone else, before
any lookup. An invitee's pages (answer, thank you) fetch through their own invitation: 404 for a
survey they were not invited to, whoever they are.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from connecting.accounts.models import Role
from connecting.accounts.roles import role_required
from connecting.forms import form_add_validation_error, posted_data, render_form_page
from connecting.surveys.forms import AnswerForm, SurveyForm, question_formset, survey_error_items
from connecting.surveys.permissions import (
    can_answer_survey,
    can_close_survey,
    can_edit_survey,
    can_open_survey,
    can_view_survey_results,
)
from connecting.surveys.selectors import (
    survey_free_text_answers,
    survey_get,
    survey_invitation_get_for_user,
    survey_invitee_list,
    survey_list,
    survey_question_results,
)
from connecting.surveys.services import survey_answer, survey_close, survey_create, survey_open, survey_update

PAGE_SIZE = 25
FREE_TEXT_PAGE_SIZE = 50
ANYONE_SIGNED_IN = (Role.PARTICIPANT, Role.PARTNER_CONTACT, Role.PROGRAMME_TEAM)
team_only = role_required(Role.PROGRAMME_TEAM)


@team_only
def survey_list_view(request):
    """Every survey, newest first, 25 a page."""
    page = Paginator(survey_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "surveys/survey_list.html", {"page": page})


def _draft_page(request, *, survey, form, formset):
    items = survey_error_items(form, formset)
    context = {"survey": survey, "form": form, "formset": formset, "error_items": items}
    return render(request, "surveys/survey_form.html", context, status=400 if items else 200)


def _save_draft(request, *, survey=None):
    """The draft form, for a new survey or a draft's changes: validate both parts, call the service,
    put its refusal back on the form."""
    initial = SurveyForm.initial_for(survey) if survey else {}
    label = _("Save changes") if survey else _("Save draft")
    form = SurveyForm(posted_data(request), initial=initial, submit_label=label)
    formset = question_formset(posted_data(request), questions=survey.questions.all() if survey else ())
    if request.method == "POST" and all([form.is_valid(), formset.is_valid()]):
        try:
            if survey is None:
                survey = survey_create(
                    details=form.survey_input(), questions=formset.question_inputs(), by=request.user
                )
            else:
                survey = survey_update(
                    survey=survey,
                    details=form.survey_input(),
                    questions=formset.question_inputs(),
                    by=request.user,
                )
        except ValidationError as error:
            form_add_validation_error(form, error)
        else:
            messages.success(request, _("The survey has been saved as a draft."))
            return redirect("surveys:detail", survey_id=survey.pk)
    return _draft_page(request, survey=survey, form=form, formset=formset)


@team_only
def survey_create_view(request):
    return _save_draft(request)


@team_only
def survey_edit_view(request, survey_id: int):
    survey = survey_get(survey_id=survey_id)
    if not can_edit_survey(request.user, survey):
        messages.info(request, _("This survey has been opened, so it can no longer be changed."))
        return redirect("surveys:detail", survey_id=survey.pk)
    return _save_draft(request, survey=survey)


@team_only
def survey_detail_view(request, survey_id: int):
    survey = survey_get(survey_id=survey_id)
    context = {
        "survey": survey,
        "questions": survey.questions.all(),
        "can_edit": can_edit_survey(request.user, survey),
        "can_open": can_open_survey(request.user, survey),
        "can_close": can_close_survey(request.user, survey),
        "can_view_results": can_view_survey_results(request.user, survey),
    }
    return render(request, "surveys/survey_detail.html", context)


def _move(request, survey_id: int, *, allowed, service, template: str, done: str, refused: str):
    """A confirm page (GET) and the move itself (POST); a refusal comes back as a message. A POST
    goes to the service even when the page would not be offered: a double click is its no-op."""
    survey = survey_get(survey_id=survey_id)
    if request.method == "POST":
        try:
            service(survey=survey, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, done)
        return redirect("surveys:detail", survey_id=survey.pk)
    if not allowed(request.user, survey):
        messages.info(request, refused)
        return redirect("surveys:detail", survey_id=survey.pk)
    context = {"survey": survey}
    if service is survey_open:
        context["invitee_count"] = survey_invitee_list(survey=survey).count()
    return render(request, template, context)


@team_only
def survey_open_view(request, survey_id: int):
    """Confirm, saying how many people will be invited; then open and invite them."""
    return _move(
        request,
        survey_id,
        allowed=can_open_survey,
        service=survey_open,
        template="surveys/survey_open.html",
        done=_("The survey is open. Invitations are on their way."),
        refused=_("This survey has been opened already."),
    )


@team_only
def survey_close_view(request, survey_id: int):
    return _move(
        request,
        survey_id,
        allowed=can_close_survey,
        service=survey_close,
        template="surveys/survey_close.html",
        done=_("The survey is closed. Its results stay here."),
        refused=_("Only an open survey can be closed."),
    )


@team_only
def survey_results_view(request, survey_id: int):
    """Response rate, each question's figures, and the free-text answers (50 a page, no names)."""
    survey = survey_get(survey_id=survey_id)
    if not can_view_survey_results(request.user, survey):
        messages.info(request, _("A draft survey has no results yet."))
        return redirect("surveys:detail", survey_id=survey.pk)
    invited = survey.invitations.count()
    answered = survey.invitations.filter(answered_at__isnull=False).count()
    page = Paginator(survey_free_text_answers(survey=survey), FREE_TEXT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "survey": survey,
        "invited": invited,
        "answered": answered,
        "response_rate": round(100 * answered / invited) if invited else 0,
        "results": [result for result in survey_question_results(survey=survey) if result.distribution],
        "page": page,
    }
    return render(request, "surveys/survey_results.html", context)


# --- The invitee's pages ----------------------------------------------------------------------------


@role_required(*ANYONE_SIGNED_IN)
def survey_answer_view(request, survey_id: int):
    """The invitee answers, once. Already answered: the thank-you page; closed: a page saying so."""
    invitation = survey_invitation_get_for_user(survey_id=survey_id, user=request.user)
    survey = invitation.survey
    if invitation.answered_at is not None:
        return redirect("surveys:thanks", survey_id=survey.pk)
    if not can_answer_survey(request.user, invitation):
        if request.method == "POST":
            messages.error(request, _("This survey has closed, so it no longer takes answers."))
        return render(request, "surveys/survey_closed.html", {"survey": survey})
    form = AnswerForm(posted_data(request), questions=survey.questions.all())
    if request.method == "POST" and form.is_valid():
        try:
            survey_answer(survey=survey, user=request.user, answers=form.answers())
        except ValidationError as error:
            if getattr(error, "code", None) == "answered":
                return redirect("surveys:thanks", survey_id=survey.pk)
            form_add_validation_error(form, error)
        else:
            return redirect("surveys:thanks", survey_id=survey.pk)
    return render_form_page(request, "surveys/survey_answer.html", {"survey": survey, "form": form})


@role_required(*ANYONE_SIGNED_IN)
def survey_thanks_view(request, survey_id: int):
    invitation = survey_invitation_get_for_user(survey_id=survey_id, user=request.user)
    if invitation.answered_at is None:
        return redirect("surveys:answer", survey_id=invitation.survey_id)
    return render(request, "surveys/survey_thanks.html", {"survey": invitation.survey})
