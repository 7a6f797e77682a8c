from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from connecting.accounts.roles import is_programme_team
from placements.models import Cohort, Enrolment, Opportunity, Programme


def _count_per_programme(queryset: QuerySet) -> Coalesce:
    """How many rows of `queryset` belong to the outer programme, as one correlated subquery.

    Two Counts over joins would multiply each other (cohorts x enrolments); subqueries stay exact.
    """
    counted = (
        queryset.filter(programme=OuterRef("pk"))
        .order_by()
        .values("programme")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def programme_list_for_user(*, user) -> QuerySet[Programme]:
    """Every programme, A to Z, each with `cohort_count` and `participant_count`; the team only."""
    if not is_programme_team(user):
        return Programme.objects.none()
    return Programme.objects.annotate(
        cohort_count=_count_per_programme(Cohort.objects.all()),
        participant_count=_count_per_programme(Enrolment.objects.all()),
    ).order_by("name", "pk")


def programme_get_for_user(*, programme_id: int, user) -> Programme:
    """The one door from a URL to a programme, with its counts and `opportunity_count`; else 404."""
    opportunities = (
        Opportunity.programmes.through.objects.filter(programme=OuterRef("pk"))
        .order_by()
        .values("programme")
        .annotate(total=Count("pk"))
        .values("total")
    )
    programme = (
        programme_list_for_user(user=user)
        .annotate(opportunity_count=Coalesce(Subquery(opportunities, output_field=IntegerField()), Value(0)))
        .filter(pk=programme_id)
        .first()
    )
    if programme is None:
        raise Http404("No such programme.")
    return programme


def cohort_list(*, programme: Programme) -> QuerySet[Cohort]:
    """The programme's cohorts, earliest first, each with `participant_count`."""
    return programme.cohorts.annotate(participant_count=Count("enrolments")).order_by(
        "starts_on", "name", "pk"
    )


def cohort_get(*, programme: Programme, cohort_id: int) -> Cohort:
    """A cohort of this programme only: a cohort id from another programme answers 404."""
    cohort = programme.cohorts.filter(pk=cohort_id).first()
    if cohort is None:
        raise Http404("No such cohort.")
    return cohort


def enrolment_list(*, programme: Programme) -> QuerySet[Enrolment]:
    """Who is enrolled on the programme, by name, with their cohort."""
    return programme.enrolments.select_related("participant", "cohort").order_by(
        "participant__full_name", "participant__email", "pk"
    )


def enrolment_get(*, programme: Programme, enrolment_id: int) -> Enrolment:
    enrolment = enrolment_list(programme=programme).filter(pk=enrolment_id).first()
    if enrolment is None:
        raise Http404("No such enrolment.")
    return enrolment


def enrolment_list_for_participant(*, participant) -> QuerySet[Enrolment]:
    """The programmes a participant is on, A to Z, with their cohort if they have one."""
    return (
        Enrolment.objects.filter(participant=participant)
        .select_related("programme", "cohort")
        .order_by("programme__name", "pk")
    )
