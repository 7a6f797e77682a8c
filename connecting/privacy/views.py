"""Download your data (anyone signed in), and the programme team's person lookup and erasure."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from connecting.accounts.models import Role
from connecting.accounts.roles import role_required
from connecting.audit.models import AuditVerb
from connecting.audit.services import audit_record
from connecting.forms import form_add_validation_error, posted_data, render_form_page
from connecting.privacy.forms import AnonymiseForm, DownloadDataForm, PersonLookupForm
from connecting.privacy.permissions import can_anonymise_person
from connecting.privacy.selectors import person_get_by_email, person_get_for_user
from connecting.privacy.services import (
    PrivacyRefused,
    is_anonymised,
    person_anonymise,
    subject_access_archive,
)

ANYONE_SIGNED_IN = (Role.PARTICIPANT, Role.PARTNER_CONTACT, Role.PROGRAMME_TEAM)
team_only = role_required(Role.PROGRAMME_TEAM)


@role_required(*ANYONE_SIGNED_IN)
@require_http_methods(["GET", "POST"])
@never_cache
def my_data(request):
    """A page explaining the download, whose button posts back here for the ZIP itself."""
    if request.method == "POST":
        archive = subject_access_archive(user=request.user)
        audit_record(actor=request.user, verb=AuditVerb.DATA_DOWNLOADED, obj=request.user, request=request)
        response = HttpResponse(archive, content_type="application/zip")
        filename = f"connecting-my-data-{timezone.localdate():%Y-%m-%d}.zip"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response
    return render(request, "privacy/my_data.html", {"download_form": DownloadDataForm()})


@team_only
@require_GET
def people(request):
    """Find a person by e-mail address, to act on an erasure request."""
    form = PersonLookupForm(request.GET if "email" in request.GET else None)
    person = person_get_by_email(email=form.cleaned_data["email"]) if form.is_valid() else None
    context = {
        "form": form,
        "person": person,
        "searched": form.is_bound and form.is_valid(),
        "anonymised": person is not None and is_anonymised(person),
        "can_anonymise": person is not None and can_anonymise_person(request.user, person),
    }
    return render(request, "privacy/people.html", context, status=400 if form.errors else 200)


def _person_page(person) -> str:
    return f"{reverse('privacy:people')}?{urlencode({'email': person.email})}"


@team_only
@require_http_methods(["GET", "POST"])
def anonymise(request, person_id: int):
    person = person_get_for_user(person_id=person_id, user=request.user)
    if not can_anonymise_person(request.user, person):
        raise PermissionDenied
    if is_anonymised(person):
        messages.info(request, _("This person has already been anonymised."))
        return redirect(_person_page(person))
    form = AnonymiseForm(posted_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            person = person_anonymise(person=person, by=request.user)
        except PrivacyRefused as refused:
            form_add_validation_error(form, refused)
        else:
            messages.success(request, _("The person has been anonymised. Their account is closed."))
            return redirect(_person_page(person))
    return render_form_page(request, "privacy/anonymise.html", {"form": form, "person": person})
