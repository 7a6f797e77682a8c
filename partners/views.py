from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from connecting.accounts.models import Role
from connecting.accounts.roles import role_required
from connecting.forms import form_add_validation_error
from partners import selectors, services
from partners.forms import InvitationAcceptForm, PartnerContactInviteForm
from partners.permissions import can_invite_partner_contact

PAGE_SIZE = 25


@role_required(Role.PARTNER_CONTACT)
def partner_dashboard(request):
    partners = selectors.partner_list_for_user(user=request.user)
    return render(request, "partners/dashboard.html", {"partners": partners})


@role_required(Role.PROGRAMME_TEAM)
def partner_list(request):
    page = Paginator(selectors.partner_list_for_user(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "partners/partner_list.html", {"page": page})


def _partner_detail_context(request, partner, invite_form=None):
    can_invite = can_invite_partner_contact(request.user, partner)
    return {
        "partner": partner,
        "contacts": selectors.partner_contact_list(partner=partner),
        "open_invitations": selectors.partner_open_invitation_list(partner=partner) if can_invite else [],
        "can_invite": can_invite,
        "invite_form": invite_form or (PartnerContactInviteForm() if can_invite else None),
    }


@role_required(Role.PROGRAMME_TEAM, Role.PARTNER_CONTACT)
def partner_detail(request, partner_id: int):
    partner = selectors.partner_get_for_user(partner_id=partner_id, user=request.user)
    return render(request, "partners/partner_detail.html", _partner_detail_context(request, partner))


@require_POST
@role_required(Role.PROGRAMME_TEAM, Role.PARTNER_CONTACT)
def partner_contact_invite(request, partner_id: int):
    partner = selectors.partner_get_for_user(partner_id=partner_id, user=request.user)
    if not can_invite_partner_contact(request.user, partner):
        raise PermissionDenied
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

    form = InvitationAcceptForm(request.POST or None, email=invitation.email)
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
