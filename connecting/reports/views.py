"""The programme team's exports: asking for one, the list of one's own, and downloading one.

Every page is for the programme team only (403 for anyone else, before any lookup). A finished
export is downloaded only by the person who asked for it: for anyone else it does not exist (404).
"""

import logging

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from connecting.accounts.models import Role
from connecting.accounts.roles import role_required
from connecting.audit.models import AuditVerb
from connecting.audit.services import audit_record
from connecting.forms import posted_data, render_form_page
from connecting.reports.forms import ExportForm
from connecting.reports.models import ExportStatus
from connecting.reports.selectors import export_job_get_for_download, export_job_list_for_user
from connecting.reports.services import EXPORT_KEEP_DAYS, export_inline_max_rows, export_request
from connecting.reports.writers import dataset_response, stored_export_response

logger = logging.getLogger(__name__)

PAGE_SIZE = 25
team_only = role_required(Role.PROGRAMME_TEAM)


@team_only
@require_http_methods(["GET", "POST"])
def export_form(request):
    """Ask for an export: a small one is the response itself, a large one is queued for a worker."""
    form = ExportForm(posted_data(request))
    if request.method == "POST" and form.is_valid():
        arguments = form.export_arguments()
        job = export_request(by=request.user, **arguments)
        audit_record(
            actor=request.user,
            verb=AuditVerb.EXPORTED,
            obj=job,
            description=f"{arguments['dataset']} ({arguments['file_format']})",
            request=request,
            dataset=arguments["dataset"],
            file_format=arguments["file_format"],
            filters=str(arguments["filters"]),
        )
        # Who asked and for what, never what the rows hold.
        logger.info(
            "%s export by user %s (%s, background: %s)",
            arguments["dataset"],
            request.user.pk,
            arguments["file_format"],
            job is not None,
        )
        if job is not None:
            messages.success(
                request,
                _(
                    "Your export is being prepared. It will be ready shortly: download it from this page when it is."
                ),
            )
            return redirect("reports:mine")
        return dataset_response(user=request.user, **arguments)
    context = {"form": form, "inline_max_rows": export_inline_max_rows(), "keep_days": EXPORT_KEEP_DAYS}
    return render_form_page(request, "reports/export_form.html", context)


@team_only
@require_GET
def export_list(request):
    """The exports the user asked for, newest first, with their state and a link once ready."""
    page = Paginator(export_job_list_for_user(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    in_progress = any(job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING) for job in page.object_list)
    context = {"page": page, "in_progress": in_progress, "keep_days": EXPORT_KEEP_DAYS}
    return render(request, "reports/export_list.html", context)


@team_only
@require_GET
def export_download(request, job_id: int):
    job = export_job_get_for_download(job_id=job_id, user=request.user)
    logger.info("export job %s downloaded by user %s", job.pk, request.user.pk)
    audit_record(
        actor=request.user,
        verb=AuditVerb.EXPORT_DOWNLOADED,
        obj=job,
        description=job.download_filename,
        request=request,
    )
    return stored_export_response(job.file_name, filename=job.download_filename, file_format=job.format)
