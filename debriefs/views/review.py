"""The programme team's review of debriefs: the queue, one debrief and each step of its review,
policy follow-up, and the CSV exports.

Every page is for the programme team only (403 for anyone else, before any lookup, so nobody
learns which ids exist). A debrief is fetched through `debrief_get_for_review`: 404 for one that
does not exist or is still its author's draft. Whether the debrief's state allows a step is the
service's call: its refusal is shown as a message, or next to the field it names.
"""

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from connecting.accounts.models import Role
from connecting.accounts.roles import role_required
from connecting.audit.models import AuditVerb
from connecting.audit.services import audit_record
from connecting.forms import form_add_validation_error, posted_data, render_form_page
from debriefs.exports import ACTION_HEADER, DEBRIEF_HEADER, action_rows, csv_response, debrief_rows
from debriefs.forms.review import (
    ApproveForm,
    AssignForm,
    CommentForm,
    FlagForm,
    PolicyActionFilterForm,
    PolicyActionForm,
    PublishForm,
    ReopenForm,
    RequestChangesForm,
    ReviewFilterForm,
    StartReviewForm,
    UnpublishForm,
)
from debriefs.models import Debrief, DebriefStatus, PreparationStatus
from debriefs.permissions import can_export_debriefs, can_manage_policy_actions, can_review_debriefs
from debriefs.personal_data import personal_data_find_in_fields
from debriefs.selectors.review import (
    action_export_rows,
    debrief_export_rows,
    debrief_get_for_review,
    debrief_review_queue,
    policy_action_get,
    policy_action_list,
)
from debriefs.services.common import DebriefRefused, PersonalDataWarning
from debriefs.services.debriefs import (
    DEBRIEF_TEXT_FIELDS,
    debrief_approve,
    debrief_assign,
    debrief_comment,
    debrief_publish,
    debrief_reopen,
    debrief_request_changes,
    debrief_start_review,
    debrief_unpublish,
    insight_attribution,
    insight_draft_body,
    policy_action_create,
    policy_action_update,
)

logger = logging.getLogger(__name__)

PAGE_SIZE = 25
D = DebriefStatus
team_only = role_required(Role.PROGRAMME_TEAM)


def _debrief_for(request, debrief_id: int) -> Debrief:
    if not can_review_debriefs(request.user):
        raise PermissionDenied
    return debrief_get_for_review(debrief_id=debrief_id)


def _safe_next(request) -> str:
    """The `next` address posted with a form, if it is on this site; else ""."""
    target = request.POST.get("next", "")
    # A path only: redirect() would read a bare word ("x") as a view name and fail.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _back(request, debrief: Debrief):
    target = _safe_next(request)
    return redirect(target) if target else redirect("review:detail", debrief_id=debrief.pk)


def _finding_lines(findings: dict, labels: dict) -> list[str]:
    """'What I learnt: a phone number (07700 900123)', one line per finding."""
    return [
        f"{labels.get(field, field)}: {finding.label} ({finding.text})"
        for field, found in findings.items()
        for finding in found
    ]


# --- The queue ------------------------------------------------------------------------------------


@team_only
def review_queue(request):
    """Debriefs handed in, oldest submitted first, with the filters kept in every page link."""
    if not can_review_debriefs(request.user):
        raise PermissionDenied
    form = ReviewFilterForm(request.GET)
    filters = form.filters()
    page = Paginator(debrief_review_queue(user=request.user, **filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    today = timezone.localdate()
    rows = list(page.object_list)
    for debrief in rows:
        debrief.age_days = (today - timezone.localdate(debrief.submitted_at)).days
    context = {
        "page": page,
        "rows": rows,
        "form": form,
        "filtered": any(value not in (None, "") for value in filters.values()),
        "export_query": [
            (name, value) for name, value in form.query_items() if name not in ("age", "reviewer")
        ],
        "can_export": can_export_debriefs(request.user),
    }
    return render(request, "debriefs/review_queue.html", context, status=400 if form.errors else 200)


# --- One debrief ------------------------------------------------------------------------------------


def _steps_allowed(debrief: Debrief) -> dict[str, bool]:
    """Which steps the page offers: those the debrief's state allows."""
    status = debrief.status
    return {
        "can_start": status == D.SUBMITTED,
        "can_request_changes": status == D.IN_REVIEW,
        "can_approve": status == D.IN_REVIEW,
        "can_publish": status == D.APPROVED and debrief.is_shareable,
        "can_reopen": status == D.APPROVED,
        "can_unpublish": status == D.PUBLISHED,
    }


def _text_labels() -> dict[str, str]:
    return {name: capfirst(Debrief._meta.get_field(name).verbose_name) for name in DEBRIEF_TEXT_FIELDS}


def _debrief_warnings(debrief: Debrief) -> list[str]:
    """The personal-data warnings the author saw when submitting, found again in the text as it is."""
    fields = {name: getattr(debrief, name) for name in DEBRIEF_TEXT_FIELDS}
    labels = _text_labels()
    for number, action in enumerate(debrief.actions.all(), start=1):
        fields[f"action_{number}"] = action.description
        labels[f"action_{number}"] = _("Action %(number)d") % {"number": number}
    return _finding_lines(personal_data_find_in_fields(fields), labels)


def _detail(request, debrief: Debrief, *, bound: dict | None = None):
    """The review page; `bound` is a step's form posted with errors, shown in its place (400)."""
    forms = {
        "start_form": StartReviewForm(),
        "changes_form": RequestChangesForm(),
        "approve_form": ApproveForm(),
        "reopen_form": ReopenForm(),
        "unpublish_form": UnpublishForm(),
        "comment_form": CommentForm(),
        "assign_form": AssignForm(initial={"reviewer": debrief.reviewer_id}),
        "flag_form": FlagForm(initial={"owner": request.user.pk}),
    }
    failing = None
    for name, form in (bound or {}).items():
        forms[name] = form
        failing = failing or (form if form.errors else None)
    booking = debrief.booking
    preparation = getattr(booking, "preparation", None)
    context = {
        "debrief": debrief,
        "booking": booking,
        "warnings": _debrief_warnings(debrief),
        "preparation": preparation
        if preparation and preparation.status == PreparationStatus.SUBMITTED
        else None,
        "partner_feedback": getattr(booking, "partner_feedback", None),
        "insight": getattr(debrief, "insight", None),
        "events": debrief.events.all(),
        "policy_actions": debrief.policy_actions.all(),
        "assigned_to_me": debrief.reviewer_id == request.user.pk,
        # The base template's error summary names the form that failed.
        "form": failing,
        **forms,
        **_steps_allowed(debrief),
    }
    return render(request, "debriefs/review_detail.html", context, status=400 if failing else 200)


@team_only
def review_detail(request, debrief_id: int):
    debrief = _debrief_for(request, debrief_id)
    audit_record(actor=request.user, verb=AuditVerb.DEBRIEF_VIEWED, obj=debrief, request=request)
    return _detail(request, debrief)


def _step(request, debrief_id: int, *, form_class, form_name: str, run, done: str):
    """Run one review step posted from the review page: the form's errors (or the service's, on a
    field) re-show the page; any other refusal is a message on it."""
    debrief = _debrief_for(request, debrief_id)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            run(debrief, form.cleaned_data)
        except PersonalDataWarning as warning:  # from a step whose text others will read
            form.add_personal_data_warning(warning.findings)
        except DebriefRefused as refused:
            if not hasattr(refused, "error_dict"):
                messages.error(request, " ".join(refused.messages))
                return _back(request, debrief)
            form_add_validation_error(form, refused)
        else:
            messages.success(request, done(form.cleaned_data) if callable(done) else done)
            return _back(request, debrief)
    return _detail(request, debrief, bound={form_name: form})


def _step_view(service, *, form_class, form_name: str, done):
    """A POST-only view for one review step: `service(debrief=..., by=..., **form data)`."""

    @team_only
    @require_POST
    def view(request, debrief_id: int):
        return _step(
            request,
            debrief_id,
            form_class=form_class,
            form_name=form_name,
            run=lambda debrief, data: service(debrief=debrief, by=request.user, **data),
            done=done,
        )

    return view


review_start = _step_view(
    debrief_start_review,
    form_class=StartReviewForm,
    form_name="start_form",
    done=gettext_lazy("You have started the review."),
)
review_request_changes = _step_view(
    debrief_request_changes,
    form_class=RequestChangesForm,
    form_name="changes_form",
    done=gettext_lazy("You have asked the author for changes. We have e-mailed them."),
)
review_approve = _step_view(
    debrief_approve,
    form_class=ApproveForm,
    form_name="approve_form",
    done=gettext_lazy("You have approved the debrief."),
)
review_reopen = _step_view(
    debrief_reopen,
    form_class=ReopenForm,
    form_name="reopen_form",
    done=gettext_lazy("The debrief is back in review."),
)
review_unpublish = _step_view(
    debrief_unpublish,
    form_class=UnpublishForm,
    form_name="unpublish_form",
    done=gettext_lazy("The insight has been withdrawn from the learning library. The debrief is approved."),
)
review_comment = _step_view(
    debrief_comment,
    form_class=CommentForm,
    form_name="comment_form",
    done=gettext_lazy("Your comment has been added. We have e-mailed the author."),
)


def _assigned(data) -> str:
    return _("The debrief is assigned to %(name)s.") % {"name": data["reviewer"]}


review_assign = _step_view(debrief_assign, form_class=AssignForm, form_name="assign_form", done=_assigned)
# Flagging writes a PolicyAction, which the service allows to whoever may manage policy actions.
review_flag = _step_view(
    policy_action_create,
    form_class=FlagForm,
    form_name="flag_form",
    done=gettext_lazy("The debrief is flagged for policy follow-up."),
)


# --- Publishing ---------------------------------------------------------------------------------------


def _publish_blocked(debrief: Debrief) -> str:
    if not debrief.is_shareable:
        return _(
            "The author asked for this debrief to be seen by the programme team only, so it cannot be published."
        )
    if debrief.status not in (D.APPROVED, D.PUBLISHED):
        return _("This debrief is %(status)s. Approve it before publishing it.") % {
            "status": debrief.get_status_display().lower()
        }
    return ""


@team_only
def review_publish(request, debrief_id: int):
    """The insight's title and text, prefilled from the debrief (or the insight already published);
    publishing checks the text for personal data as the author's was checked."""
    debrief = _debrief_for(request, debrief_id)
    if blocked := _publish_blocked(debrief):
        messages.error(request, blocked)
        return redirect("review:detail", debrief_id=debrief.pk)
    insight = getattr(debrief, "insight", None)
    initial = {
        "title": insight.title if insight else debrief.booking.slot.opportunity.title,
        "body": insight.body if insight else insight_draft_body(debrief),
    }
    texts = (
        {name: request.POST.get(name, "") for name in ("title", "body")}
        if request.method == "POST"
        else initial
    )
    labels = {"title": _("Title"), "body": _("Text")}
    findings = personal_data_find_in_fields(texts)
    form = PublishForm(posted_data(request), initial=initial, show_confirm=bool(findings))
    if request.method == "POST" and form.is_valid():
        try:
            debrief_publish(
                debrief=debrief,
                by=request.user,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                personal_data_confirmed=form.cleaned_data.get("personal_data_confirmed", False),
            )
        except PersonalDataWarning as warning:
            for field, found in warning.findings.items():
                for line in _finding_lines({field: found}, labels):
                    form.add_error(field, line)
        except DebriefRefused as refused:
            if not hasattr(refused, "error_dict"):
                messages.error(request, " ".join(refused.messages))
                return redirect("review:detail", debrief_id=debrief.pk)
            form_add_validation_error(form, refused)
        else:
            messages.success(request, _("The insight is published in the learning library."))
            return redirect("review:detail", debrief_id=debrief.pk)
    context = {
        "debrief": debrief,
        "form": form,
        "attribution": insight_attribution(debrief),
        "warnings": _finding_lines(findings, labels),
        "republishing": insight is not None,
    }
    return render_form_page(request, "debriefs/review_publish.html", context)


# --- Policy follow-up ------------------------------------------------------------------------------


@team_only
def policy_action_list_view(request):
    if not can_manage_policy_actions(request.user):
        raise PermissionDenied
    form = PolicyActionFilterForm(request.GET)
    filters = form.filters()
    page = Paginator(policy_action_list(user=request.user, **filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "form": form, "filtered": any(filters.values())}
    return render(request, "debriefs/policy_action_list.html", context, status=400 if form.errors else 200)


@team_only
def policy_action_edit(request, action_id: int):
    if not can_manage_policy_actions(request.user):
        raise PermissionDenied
    action = policy_action_get(action_id=action_id)
    initial = {"status": action.status, "owner": action.owner_id, "outcome": action.outcome}
    form = PolicyActionForm(posted_data(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            policy_action_update(
                action=action,
                by=request.user,
                status=form.cleaned_data["status"],
                owner=form.cleaned_data["owner"],
                outcome=form.cleaned_data["outcome"],
                personal_data_confirmed=form.cleaned_data["personal_data_confirmed"],
            )
        except PersonalDataWarning as warning:
            form.add_personal_data_warning(warning.findings)
        except DebriefRefused as refused:
            form_add_validation_error(form, refused)
        else:
            messages.success(request, _("The policy action is saved."))
            return redirect("review:policy_actions")
    return render_form_page(request, "debriefs/policy_action_form.html", {"action": action, "form": form})


# --- Exports ----------------------------------------------------------------------------------------


def _export_filters(request) -> tuple[dict | None, bool]:
    """The export's filters, or None when one is bad: an export never silently drops a filter and
    hands over more than was asked for."""
    if not can_export_debriefs(request.user):
        raise PermissionDenied
    form = ReviewFilterForm(request.GET)
    filters = form.filters()
    if form.errors:
        return None, False
    # The queue's own filters (age, reviewer) are not the export's.
    filters.pop("older_than_days")
    filters.pop("reviewer")
    return filters, request.GET.get("include_team_only") == "1"


def _bad_export_filters(request):
    """Back to the queue with the same query, where the bad filter is named (nothing exported)."""
    return redirect(f"{reverse('review:queue')}?{request.GET.urlencode()}")


@team_only
def export_debriefs(request):
    filters, include_team_only = _export_filters(request)
    if filters is None:
        return _bad_export_filters(request)
    # Who asked, never what the rows hold.
    logger.info("debriefs export by user %s (team-only included: %s)", request.user.pk, include_team_only)
    debriefs = debrief_export_rows(user=request.user, include_team_only=include_team_only, **filters)
    audit_record(
        actor=request.user,
        verb=AuditVerb.EXPORTED,
        description="debriefs.csv",
        request=request,
        dataset="debriefs",
        include_team_only=include_team_only,
        filters={k: str(v) for k, v in filters.items() if v},
    )
    return csv_response("debriefs.csv", DEBRIEF_HEADER, debrief_rows(debriefs))


@team_only
def export_actions(request):
    filters, include_team_only = _export_filters(request)
    if filters is None:
        return _bad_export_filters(request)
    logger.info("actions export by user %s (team-only included: %s)", request.user.pk, include_team_only)
    audit_record(
        actor=request.user,
        verb=AuditVerb.EXPORTED,
        description="actions.csv",
        request=request,
        dataset="actions",
        include_team_only=include_team_only,
        filters={k: str(v) for k, v in filters.items() if v},
    )
    participant_actions, policy_actions = action_export_rows(
        user=request.user, include_team_only=include_team_only, **filters
    )
    return csv_response("actions.csv", ACTION_HEADER, action_rows(participant_actions, policy_actions))
