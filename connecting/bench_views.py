"""Pages that exist only for the load benchmark (scripts/bench/load.py), wired in connecting/urls.py
when DEBUG is off, production is off and BENCHMARK_PAGES=1 is set."""

from django.shortcuts import render

from placements.models import Theme


def baseline(request):
    """One query on a primary key and a small template: the framework's ceiling on this machine."""
    theme = Theme.objects.filter(pk=int(request.GET.get("id", 1))).only("name", "slug").first()
    return render(request, "bench/baseline.html", {"theme": theme})
