"""Sign-ins, successful and failed, into the audit log. Connected in `AuditConfig.ready`.

allauth's `user_logged_in` fires once a sign-in is complete (after the second factor, if any);
Django's `user_login_failed` fires when a password is wrong. The address tried is kept (it says
whose account was tried); the password never reaches the signal.
"""

from django.contrib.auth import get_user_model

from connecting.audit.models import AuditVerb
from connecting.audit.services import audit_record


def record_sign_in(sender, request, user, **kwargs):
    audit_record(actor=user, verb=AuditVerb.SIGNED_IN, obj=user, request=request)


def record_sign_in_failed(sender, credentials, request=None, **kwargs):
    tried = str(credentials.get("email") or credentials.get("username") or "")[:254]
    person = get_user_model().objects.filter(email__iexact=tried).first() if tried else None
    audit_record(
        actor=None,
        actor_description=f"Someone signing in as {tried}" if tried else "Someone signing in",
        verb=AuditVerb.SIGN_IN_FAILED,
        obj=person,
        request=request,
    )
