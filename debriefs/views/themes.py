"""The learning-themes page: what debriefs of a period say, for the programme team only (403 for
anyone else, as every review page)."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from connecting.accounts.models import Role
from connecting.accounts.roles import role_required
from debriefs.forms.themes import ThemeFilterForm
from debriefs.permissions import can_review_debriefs
from debriefs.selectors.rollup import emerging_theme_list, theme_rollup_summary

# The taxonomy has a few dozen themes, so a page usually holds them all.
PAGE_SIZE = 25


@role_required(Role.PROGRAMME_TEAM)
def theme_rollup_view(request):
    """The themes of the chosen period with count, share, change and quotes, and the phrases
    the taxonomy does not name yet."""
    if not can_review_debriefs(request.user):
        raise PermissionDenied
    form = ThemeFilterForm(request.GET)
    filters = form.filters()
    summary = theme_rollup_summary(**filters)
    page = Paginator(summary["rows"], PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "period": form.chosen_period(),
        "debriefs": summary["debriefs"],
        "page": page,
        "emerging": emerging_theme_list(
            programme=filters["programme"],
            period_kind=filters["period_kind"],
            period_start=filters["period_start"],
        ),
        "narrowed": any(filters[name] for name in ("sector", "region", "directorate")),
    }
    return render(request, "debriefs/themes.html", context, status=400 if form.errors else 200)
