import logging

from django.db import transaction
from django.utils import timezone

from connecting.accounts.models import User

logger = logging.getLogger(__name__)


@transaction.atomic
def user_reminders_set(*, user: User, on: bool) -> User:
    """Turn `user`'s reminders and digests on or off. Essential e-mails go either way.

    Off records when (`reminders_off_at`); turning off again keeps the first time, so a mail
    client's one-click unsubscribe fired twice changes nothing. The row is locked so two at once
    cannot both think they are first.
    """
    locked = User.objects.select_for_update(no_key=True).get(pk=user.pk)
    if on == (locked.reminders_off_at is None):
        user.reminders_off_at = locked.reminders_off_at
        return user
    user.reminders_off_at = None if on else timezone.now()
    user.save(update_fields=["reminders_off_at"])
    logger.info("user %s turned reminders %s", user.pk, "on" if on else "off")
    return user
