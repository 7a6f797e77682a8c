"""Who may do what with surveys. Views and templates ask these only.

The programme team writes, opens, closes and reads every survey. Anyone else sees a survey only
through their own invitation (`selectors.survey_invitation_get_for_user`, 404 otherwise).
"""

from connecting.accounts.roles import is_programme_team
from connecting.surveys.models import Survey, SurveyInvitation, SurveyStatus


def can_manage_surveys(user) -> bool:
    return is_programme_team(user)


def can_edit_survey(user, survey: Survey) -> bool:
    """Only a draft changes: once opened, people are answering its questions."""
    return can_manage_surveys(user) and survey.status == SurveyStatus.DRAFT


def can_open_survey(user, survey: Survey) -> bool:
    return can_manage_surveys(user) and survey.status == SurveyStatus.DRAFT


def can_close_survey(user, survey: Survey) -> bool:
    return can_manage_surveys(user) and survey.status == SurveyStatus.OPEN


def can_view_survey_results(user, survey: Survey) -> bool:
    return can_manage_surveys(user) and survey.status != SurveyStatus.DRAFT


def can_answer_survey(user, invitation: SurveyInvitation) -> bool:
    """The invitee, once, while the survey takes answers."""
    return (
        bool(user and user.is_authenticated and user.is_active)
        and invitation.user_id == user.pk
        and invitation.answered_at is None
        and invitation.survey.is_accepting_answers
    )
