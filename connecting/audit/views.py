"""The audit log page: for the programme team only, read-only, newest first."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from connecting.accounts.models import Role
from connecting.accounts.roles import role_required
from connecting.audit.forms import AuditFilterForm
from connecting.audit.selectors import audit_event_list

PAGE_SIZE = 50


@role_required(Role.PROGRAMME_TEAM)
@require_GET
def audit_list(request):
    form = AuditFilterForm(request.GET)
    filters = form.filters()
    page = Paginator(audit_event_list(**filters), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "form": form, "filtered": any(filters.values())}
    return render(request, "audit/event_list.html", context, status=400 if form.errors else 200)
