"""`{% filter_form %}`: the filter forms of browse and the review queue, rendered once per state
and reused, always as `{% crispy form %}` renders them, and never stale (issue 9)."""

import pytest
from django.http import QueryDict
from django.template import Context, Template

from debriefs.forms.review import ReviewFilterForm
from partners.models import Sector
from placements.forms.browse import OpportunityFilterForm
from placements.templatetags import filter_forms
from tests.factories import ProgrammeFactory, ProgrammeTeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def renders(monkeypatch) -> list:
    """Each form crispy actually rendered, on an empty memo."""
    calls = []
    real = filter_forms.render_crispy_form

    def spy(form):
        calls.append(form)
        return real(form)

    monkeypatch.setattr(filter_forms, "render_crispy_form", spy)
    monkeypatch.setattr(filter_forms, "_rendered", type(filter_forms._rendered)())
    return calls


def _form(form_class, query: str):
    form = form_class(QueryDict(query))
    form.is_valid()
    return form


def _memo(form) -> str:
    return Template("{% load filter_forms %}{% filter_form form %}").render(Context({"form": form}))


def _crispy(form) -> str:
    return Template("{% load crispy_forms_tags %}{% crispy form %}").render(Context({"form": form}))


@pytest.mark.parametrize(
    ("form_class", "query"),
    [
        (OpportunityFilterForm, "q=discharge+team&sector=hospice&free_places=on"),
        (OpportunityFilterForm, ""),
        (ReviewFilterForm, "status=all&reviewer=me&age=28"),
    ],
)
def test_filter_form_renders_what_crispy_renders(renders, form_class, query):
    ProgrammeFactory(name="Connecting")
    ProgrammeTeamFactory(full_name="Rita Reviewer")
    form = _form(form_class, query)

    assert _memo(form) == _memo(_form(form_class, query)) == _crispy(form)
    assert len(renders) == 1


def test_filter_form_renders_again_when_a_value_or_an_option_changes(renders):
    programme = ProgrammeFactory(name="Connecting")
    first = _memo(_form(OpportunityFilterForm, "sector=hospice"))
    _memo(_form(OpportunityFilterForm, f"sector={Sector.CHARITY}"))
    programme.name = "Connecting leaders"
    programme.save()

    renamed = _memo(_form(OpportunityFilterForm, "sector=hospice"))

    assert len(renders) == 3
    assert (">Connecting<" in first, ">Connecting leaders<" in renamed) == (True, True)


def test_filter_form_with_errors_is_rendered_afresh_every_time(renders):
    for _ in range(2):
        html = _memo(_form(OpportunityFilterForm, "sector=nowhere"))

    assert len(renders) == 2
    assert "Choose a sector from the list" in html


def test_filter_form_memo_keeps_the_most_recent_renderings_only(renders, monkeypatch):
    monkeypatch.setattr(filter_forms, "MAX_FORMS", 2)
    for query in ("q=a", "q=b", "q=c", "q=c", "q=a"):
        _memo(_form(OpportunityFilterForm, query))

    # "a" was pushed out by "b" and "c", so it is rendered again; "c" was still there.
    assert [form.data["q"] for form in renders] == ["a", "b", "c", "a"]
    assert len(filter_forms._rendered) == 2
