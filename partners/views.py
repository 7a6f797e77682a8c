from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Window
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connecting.accounts.models import Role
from connecting.accounts.roles import role_required
from connecting.forms import form_add_validation_error, posted_data, render_form_page
from partners import selectors, services
from partners.forms import (
    InvitationAcceptForm,
    PartnerBlackoutForm,
    PartnerCapacityForm,
    PartnerContactInviteForm,
    PartnerCreateForm,
    PartnerEditForm,
    PartnerFilterForm,
    PartnerStatusForm,
)
from partners.models import Partner
from partners.permissions import (
    can_change_partner_status,
    can_edit_partner_identity,
    can_edit_partner_profile,
    can_invite_partner_contact,
    can_manage_partner_capacity,
)
from placements.models import OpportunityStatus
from placements.selectors import bookings as booking_selectors
from placements.selectors import opportunities as opportunity_selectors

PAGE_SIZE = 25
DASHBOARD_ROWS = 20
DASHBOARD_VISITORS = 10


def _partner_for(request, partner_id: int, may) -> Partner:
    """The partner in the URL: 404 if the user cannot see it, 403 if `may(user, partner)` is false."""
    partner = selectors.partner_get_for_user(partner_id=partner_id, user=request.user)
    if not may(request.user, partner):
        raise PermissionDenied
    return partner


@role_required(Role.PARTNER_CONTACT)
def partner_dashboard(request):
    """The contact's organisations, the requests waiting for them, their next slots and confirmed
    visitors, and their opportunities; then, for each organisation, the visits it hosted, the
    feedback given and received, and the insights published about it."""
    # Only requests the partner has been asked about: not those still with the line manager.
    # The first rows carry the whole count (a window over the same query), so no COUNT of its own.
    waiting = list(
        booking_selectors.booking_list_awaiting_answer(user=request.user).annotate(total=Window(Count("pk")))[
            :DASHBOARD_ROWS
        ]
    )
    waiting_count = waiting[0].total if waiting else 0
    opportunities = opportunity_selectors.opportunity_manage_list(user=request.user).exclude(
        status=OpportunityStatus.CLOSED
    )
    shown_opportunities = list(opportunities[: DASHBOARD_ROWS + 1])
    partners = list(selectors.partner_list_for_user(user=request.user))
    context = {
        "partners": partners,
        "requests_waiting": waiting,
        "requests_waiting_count": waiting_count,
        "requests_waiting_more": max(waiting_count - DASHBOARD_ROWS, 0),
        "upcoming_slots": opportunity_selectors.upcoming_slot_list_for_partners(user=request.user),
        "confirmed_visitors": booking_selectors.booking_list_confirmed_upcoming(
            user=request.user, limit=DASHBOARD_VISITORS
        ),
        "opportunities": shown_opportunities[:DASHBOARD_ROWS],
        "opportunities_more": len(shown_opportunities) > DASHBOARD_ROWS,
        "activity": selectors.partner_activity_list_for_user(user=request.user, partners=partners),
    }
    return render(request, "partners/dashboard.html", context)


@role_required(Role.PROGRAMME_TEAM)
def partner_list(request):
    form = PartnerFilterForm(request.GET)
    filters = form.filters()
    page = Paginator(selectors.partner_list_for_user(user=request.user, **filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "form": form, "filtered": any(filters.values())}
    return render(request, "partners/partner_list.html", context, status=400 if form.errors else 200)


@role_required(Role.PROGRAMME_TEAM)
def partner_create(request):
    form = PartnerCreateForm(posted_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            partner = services.partner_create(**form.cleaned_data, by=request.user)
        except ValidationError as error:
            form_add_validation_error(form, error)
        else:
            email = form.cleaned_data["first_contact_email"]
            if email:
                message = _("%(partner)s has been added, and an invitation sent to %(email)s.")
            else:
                message = _("%(partner)s has been added.")
            messages.success(request, message % {"partner": partner, "email": email})
            return redirect("partners:detail", partner_id=partner.pk)
    return render_form_page(request, "partners/partner_form.html", {"form": form})


def _partner_detail_context(request, partner, invite_form=None):
    user = request.user
    can_invite = can_invite_partner_contact(user, partner)
    return {
        "partner": partner,
        "contacts": selectors.partner_contact_list(partner=partner),
        "blackouts": selectors.partner_blackout_list(partner=partner),
        "open_invitations": selectors.partner_open_invitation_list(partner=partner) if can_invite else [],
        "can_invite": can_invite,
        "can_edit_profile": can_edit_partner_profile(user, partner),
        "can_change_status": can_change_partner_status(user, partner),
        "can_manage_capacity": can_manage_partner_capacity(user, partner),
        "invite_form": invite_form or (PartnerContactInviteForm() if can_invite else None),
    }


@role_required(Role.PROGRAMME_TEAM, Role.PARTNER_CONTACT)
def partner_detail(request, partner_id: int):
    partner = selectors.partner_get_for_user(partner_id=partner_id, user=request.user)
    return render(request, "partners/partner_detail.html", _partner_detail_context(request, partner))


@require_POST
@role_required(Role.PROGRAMME_TEAM, Role.PARTNER_CONTACT)
def partner_contact_invite(request, partner_id: int):
    partner = _partner_for(request, partner_id, can_invite_partner_contact)
    form = PartnerContactInviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.partner_contact_invite(
                partner=partner,
                email=form.cleaned_data["email"],
                is_admin=form.cleaned_data["is_admin"],
                invited_by=request.user,
            )
        except ValidationError as error:
            form_add_validation_error(form, error)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect("partners:detail", partner_id=partner.pk)
    context = _partner_detail_context(request, partner, invite_form=form)
    return render(request, "partners/partner_detail.html", context, status=400)


@role_required(Role.PROGRAMME_TEAM, Role.PARTNER_CONTACT)
def partner_edit(request, partner_id: int):
    partner = _partner_for(request, partner_id, can_edit_partner_profile)
    form = PartnerEditForm(
        posted_data(request),
        initial=PartnerEditForm.initial_for(partner),
        include_identity=can_edit_partner_identity(request.user, partner),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_update(partner=partner, data=form.cleaned_data, by=request.user)
        except ValidationError as error:
            form_add_validation_error(form, error)
        else:
            messages.success(request, _("The profile has been saved."))
            return redirect("partners:detail", partner_id=partner.pk)
    return render_form_page(request, "partners/partner_form.html", {"form": form, "partner": partner})


@role_required(Role.PROGRAMME_TEAM, Role.PARTNER_CONTACT)
def partner_status_change(request, partner_id: int):
    partner = _partner_for(request, partner_id, can_change_partner_status)
    form = PartnerStatusForm(posted_data(request), initial={"status": partner.status}, current=partner.status)
    if request.method == "POST" and form.is_valid():
        try:
            partner = services.partner_status_set(
                partner=partner, status=form.cleaned_data["status"], by=request.user
            )
        except ValidationError as error:
            form_add_validation_error(form, error)
        else:
            messages.success(
                request,
                _("%(partner)s is now %(status)s.")
                % {"partner": partner, "status": partner.get_status_display().lower()},
            )
            return redirect("partners:detail", partner_id=partner.pk)
    return render_form_page(request, "partners/partner_status.html", {"form": form, "partner": partner})


def _capacity_page(request, partner, capacity_form=None, blackout_form=None, status=200):
    capacity_form = capacity_form or PartnerCapacityForm(
        initial={
            "max_visitors_per_week": partner.max_visitors_per_week,
            "max_visitors_per_month": partner.max_visitors_per_month,
        }
    )
    context = {
        "partner": partner,
        "form": capacity_form,
        "blackout_form": blackout_form or PartnerBlackoutForm(),
        "blackouts": selectors.partner_blackout_list(partner=partner),
    }
    return render(request, "partners/partner_capacity.html", context, status=status)


@role_required(Role.PROGRAMME_TEAM, Role.PARTNER_CONTACT)
def partner_capacity(request, partner_id: int):
    """Visitor caps and blackouts on one page; the caps form posts here, blackouts to their own URLs."""
    partner = _partner_for(request, partner_id, can_manage_partner_capacity)
    if request.method != "POST":
        return _capacity_page(request, partner)
    form = PartnerCapacityForm(request.POST)
    if form.is_valid():
        try:
            services.partner_update(partner=partner, data=form.cleaned_data, by=request.user)
        except ValidationError as error:
            form_add_validation_error(form, error)
        else:
            messages.success(request, _("The visitor limits have been saved."))
            return redirect("partners:capacity", partner_id=partner.pk)
    return _capacity_page(request, partner, capacity_form=form, status=400)


@require_POST
@role_required(Role.PROGRAMME_TEAM, Role.PARTNER_CONTACT)
def partner_blackout_add(request, partner_id: int):
    partner = _partner_for(request, partner_id, can_manage_partner_capacity)
    form = PartnerBlackoutForm(request.POST)
    if form.is_valid():
        try:
            services.partner_blackout_add(partner=partner, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_validation_error(form, error)
        else:
            messages.success(request, _("The blackout has been added."))
            return redirect("partners:capacity", partner_id=partner.pk)
    return _capacity_page(request, partner, blackout_form=form, status=400)


@require_POST
@role_required(Role.PROGRAMME_TEAM, Role.PARTNER_CONTACT)
def partner_blackout_remove(request, partner_id: int, blackout_id: int):
    partner = _partner_for(request, partner_id, can_manage_partner_capacity)
    if services.partner_blackout_remove(partner=partner, blackout_id=blackout_id, by=request.user):
        messages.success(request, _("The blackout has been removed."))
    else:
        messages.info(request, _("That blackout had already been removed."))
    return redirect("partners:capacity", partner_id=partner.pk)


def _invitation_problem(request, problem: services.InvitationUnusable, status: int):
    return render(
        request,
        "partners/invitation_problem.html",
        {"title": problem.title, "reason": problem.reason},
        status=status,
    )


@login_not_required
def invitation_accept(request, token: str):
    """Open to anyone holding the link: the token is the credential."""
    invitation = selectors.partner_invitation_get_by_token(token=token)
    if invitation is None:
        return _invitation_problem(request, services.InvitationUnusable.not_found(), status=404)
    try:
        services.partner_invitation_check(invitation=invitation)
    except services.InvitationUnusable as problem:
        return _invitation_problem(request, problem, status=410)

    if request.user.is_authenticated:
        return _invitation_accept_signed_in(request, token, invitation)
    if selectors.user_exists_with_email(email=invitation.email):
        return _invitation_problem(
            request, services.InvitationUnusable.account_exists(invitation.email), status=409
        )

    form = InvitationAcceptForm(posted_data(request), email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.partner_invitation_accept_new_account(
                token=token,
                full_name=form.cleaned_data["full_name"],
                job_title=form.cleaned_data["job_title"],
                password=form.cleaned_data["password1"],
            )
        except services.InvitationUnusable as problem:
            return _invitation_problem(request, problem, status=409)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            _("Welcome to Connecting. You are now a contact for %(partner)s.")
            % {"partner": invitation.partner},
        )
        return redirect("partners:dashboard")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "partners/invitation_accept.html", {"invitation": invitation, "form": form}, status=status
    )


def _invitation_accept_signed_in(request, token, invitation):
    if request.method != "POST":
        return render(request, "partners/invitation_accept_signed_in.html", {"invitation": invitation})
    try:
        services.partner_invitation_accept_existing_account(token=token, user=request.user)
    except services.InvitationUnusable as problem:
        return _invitation_problem(request, problem, status=403)
    messages.success(request, _("You are now a contact for %(partner)s.") % {"partner": invitation.partner})
    return redirect("partners:dashboard")
