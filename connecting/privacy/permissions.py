from connecting.accounts.roles import is_programme_team


def can_anonymise_person(user, person) -> bool:
    """The programme team answers erasure requests; nobody anonymises their own account."""
    return is_programme_team(user) and person.pk != user.pk
