from django.contrib.auth import get_user_model
from django.http import Http404

User = get_user_model()


def person_get_by_email(*, email: str):
    """The account with this e-mail address (any case), or None."""
    return User.objects.filter(email__iexact=email.strip()).first()


def person_get_for_user(*, person_id: int, user):
    """One door for a person's id in a URL: only the programme team looks people up (404 otherwise)."""
    from connecting.accounts.roles import is_programme_team

    if not is_programme_team(user):
        raise Http404
    try:
        return User.objects.get(pk=person_id)
    except User.DoesNotExist as missing:
        raise Http404 from missing
