"""The programme team's dashboard (at /account/programme-team/) and the impact pack."""

from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from connecting.accounts.models import Role
from connecting.accounts.roles import role_required
from connecting.dashboard.charts import dashboard_charts
from connecting.dashboard.forms import ALL_PROGRAMMES_LABEL, DashboardFilterForm
from connecting.dashboard.selectors import (
    DashboardFilter,
    dashboard_figures,
    filter_choice_lists,
    impact_pack,
    overview_counts,
    survey_results_for_pack,
)
from connecting.dashboard.snapshots import dashboard_snapshot, dashboard_snapshots_discard
from connecting.selectors import background_jobs_status


def _filter_form(request, today) -> tuple[DashboardFilterForm, DashboardFilter, list]:
    programmes, cohorts = filter_choice_lists()
    form = DashboardFilterForm(request.GET or None, programmes=programmes, cohorts=cohorts, today=today)
    return form, form.dashboard_filter(), programmes


def _figures_html(request, dashboard_filter, form, today) -> str:
    figures = dashboard_figures(dashboard_filter, today=today)
    context = {
        "figures": figures,
        "charts": dashboard_charts(figures),
        "survey_results": survey_results_for_pack(dashboard_filter),
        "pack_query": urlencode(form.query_string(dashboard_filter)),
    }
    return render_to_string("dashboard/_figures.html", context, request=request)


@role_required(Role.PROGRAMME_TEAM)
def programme_home(request):
    """Who is connecting, with whom and what they learn, for the programme, cohort and dates
    chosen; and the portal's overall counts and background jobs. The figures come from a snapshot
    at most DASHBOARD_CACHE_SECONDS old (`connecting.dashboard.snapshots`)."""
    today = timezone.localdate()
    form, dashboard_filter, programmes = _filter_form(request, today)
    f = dashboard_filter
    section = dashboard_snapshot(
        parts=(
            "figures",
            f.programme and f.programme.pk,
            f.cohort and f.cohort.pk,
            f.date_from,
            f.date_to,
            today,
        ),
        compute=lambda: _figures_html(request, dashboard_filter, form, today),
    )
    counts = {
        **overview_counts(
            portal_counts=lambda compute: dashboard_snapshot(parts=("counts",), compute=compute).value
        ),
        "programmes": len(programmes),
    }
    context = {
        "form": form,
        "figures_section": section,
        "figures_html": mark_safe(section.value),  # noqa: S308 - our own template's output
        "counts": counts,
        "programmes": programmes,
        "jobs": background_jobs_status(),
        "debriefs": counts,
        "refresh_query": request.GET.urlencode(),
    }
    return render(request, "accounts/programme_home.html", context, status=400 if form.errors else 200)


@role_required(Role.PROGRAMME_TEAM)
@require_POST
def dashboard_refresh(request):
    """Discard the figures' snapshots, then show the dashboard again with the same filters."""
    dashboard_snapshots_discard()
    query = QueryDict(request.POST.get("query", "")).urlencode()
    return HttpResponseRedirect(reverse("accounts:programme_home") + (f"?{query}" if query else ""))


def _pack_context(request) -> dict:
    today = timezone.localdate()
    form, dashboard_filter, _programmes = _filter_form(request, today)
    pack = impact_pack(dashboard_filter, today=today)
    return {
        "form": form,
        "pack": pack,
        "figures": pack.figures,
        "charts": dashboard_charts(pack.figures),
        "survey_results": pack.survey_results,
        "pack_query": urlencode(form.query_string(dashboard_filter)),
    }


def _render_pack_page(request, context) -> HttpResponse:
    return render(
        request, "dashboard/impact_pack.html", context, status=400 if context["form"].errors else 200
    )


@role_required(Role.PROGRAMME_TEAM)
def impact_pack_page(request):
    """The impact pack of a programme and period as a printable page."""
    return _render_pack_page(request, _pack_context(request))


@role_required(Role.PROGRAMME_TEAM)
def impact_pack_download(request):
    """The same impact pack as a PDF download; with a bad filter, the page and its errors."""
    context = _pack_context(request)
    if context["form"].errors:
        return _render_pack_page(request, context)
    # Imported here: fpdf takes a third of a second to import, which every process start (and
    # `manage.py check`) would otherwise pay for a download few ask for.
    from connecting.dashboard.pdf import impact_pack_pdf

    f = context["figures"].filter
    programme_name = f.programme.name if f.programme else str(ALL_PROGRAMMES_LABEL)
    content = impact_pack_pdf(
        pack=context["pack"], programme_name=programme_name, cohort_name=f.cohort.name if f.cohort else ""
    )
    slug = f.programme.slug if f.programme else "all-programmes"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="impact-pack-{slug}-{f.date_from.isoformat()}-{f.date_to.isoformat()}.pdf"'
    )
    return response
