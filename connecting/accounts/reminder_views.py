"""Turning reminders and digests off and on: from the account pages, or from the link at the foot
of every reminder (which works without signing in: the signed token in it is the credential).
"""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from connecting.accounts.models import User
from connecting.accounts.reminder_forms import OFF, ON, RemindersForm, UnsubscribeForm
from connecting.accounts.services import user_reminders_set
from connecting.forms import posted_data, render_form_page
from connecting.outbox import unsubscribe_user_id

logger = logging.getLogger(__name__)


def reminders_edit(request):
    initial = {"reminders": OFF if request.user.reminders_off_at else ON}
    form = RemindersForm(posted_data(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        user_reminders_set(user=request.user, on=form.reminders_on)
        messages.success(
            request,
            _("We will send you reminders.") if form.reminders_on else _("We will not send you reminders."),
        )
        return redirect("accounts:reminders")
    return render_form_page(request, "accounts/reminders.html", {"form": form})


def _user_for(token: str) -> User:
    user_id = unsubscribe_user_id(token)
    user = User.objects.filter(pk=user_id).first() if user_id is not None else None
    if user is None:
        raise Http404
    return user


# No CSRF check: mail clients' one-click unsubscribe (RFC 8058) posts `List-Unsubscribe=One-Click`
# with no token, and the signed token in the address already says whose reminders stop.
@csrf_exempt
@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    """GET asks (mail scanners open links: opening must change nothing); POST turns reminders off."""
    user = _user_for(token)
    if request.method != "POST":
        return render(request, "accounts/unsubscribe_confirm.html", {"form": UnsubscribeForm()})
    user_reminders_set(user=user, on=False)
    return render(request, "accounts/unsubscribe_done.html")
