from allauth.mfa.base import views as allauth_mfa_views
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from connecting.accounts.forms import ProfileForm
from connecting.accounts.models import Role
from connecting.accounts.roles import role_required
from connecting.forms import posted_data
from debriefs.selectors.people import debrief_action_list_for_participant, policy_action_list_for_participant
from placements.selectors.programmes import enrolment_list_for_participant
from placements.selectors.visits import (
    participant_days_summary,
    visit_history_rows,
    visit_list_for_participant,
)

User = get_user_model()
UPCOMING_VISITS_SHOWN = 5
HISTORY_VISITS_SHOWN = 10


@role_required(Role.PARTICIPANT)
def participant_home(request):
    """The participant's programmes and days against each target, their next visits, their
    history, and the actions from their debriefs with the team's follow-up."""
    person = request.user
    today = timezone.localdate()
    return render(
        request,
        "accounts/participant_home.html",
        {
            "enrolments": enrolment_list_for_participant(participant=person),
            "summaries": participant_days_summary(participant=person, today=today),
            "bookings": visit_list_for_participant(participant=person, when="upcoming")[
                :UPCOMING_VISITS_SHOWN
            ],
            "history": visit_history_rows(participant=person, limit=HISTORY_VISITS_SHOWN),
            "debrief_actions": debrief_action_list_for_participant(participant=person, today=today),
            "policy_actions": policy_action_list_for_participant(participant=person),
        },
    )


def profile_edit(request):
    form = ProfileForm(posted_data(request), instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your details have been saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form}, status=400 if form.errors else 200)


@login_not_required
def mfa_authenticate(request, *args, **kwargs):
    """allauth's two-factor step, but a POST without `code` counts as an empty code.

    allauth reads such a POST as a security-key answer, which this portal does not offer, and
    fails with a server error; an empty code gets the ordinary "Enter the code" message instead.
    """
    if request.method == "POST" and "code" not in request.POST:
        request.POST = request.POST.copy()
        request.POST["code"] = ""
    return allauth_mfa_views.authenticate(request, *args, **kwargs)
