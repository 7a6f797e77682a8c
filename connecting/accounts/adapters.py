import uuid

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.urls import reverse

from connecting.accounts.models import Role
from connecting.accounts.roles import home_url_name
from connecting.outbox import outbox_enqueue_email

PROFILE_FIELDS = ("full_name", "job_title", "organisation", "directorate", "grade")


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        """Self sign-up makes a participant, with the profile filled in the same single insert."""
        user = super().save_user(request, user, form, commit=False)
        for field in PROFILE_FIELDS:
            if field in form.cleaned_data:
                setattr(user, field, form.cleaned_data[field])
        user.role = Role.PARTICIPANT
        if commit:
            user.save()
        return user

    def send_mail(self, template_prefix, email, context):
        """allauth's e-mails go through the outbox like every other, so they are retried too."""
        request = allauth_context.request
        context = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        message = self.render_mail(template_prefix, email, context)
        outbox_enqueue_email(
            key=f"account:{template_prefix.rsplit('/', 1)[-1]}:{uuid.uuid4().hex}",
            kind=f"account.{template_prefix.rsplit('/', 1)[-1]}",
            email=message,
        )

    def get_login_redirect_url(self, request):
        return reverse(home_url_name(request.user))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Departmental single sign-on: the identity provider vouches for the person."""

    def is_open_for_signup(self, request, sociallogin):
        return settings.OIDC_ENABLED

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        names = [data.get("first_name") or "", data.get("last_name") or ""]
        user.full_name = data.get("name") or " ".join(n for n in names if n) or user.email
        user.role = Role.PARTICIPANT
        return user
