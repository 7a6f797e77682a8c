from django import template

from connecting.privacy.services import retention_days as _retention_days

register = template.Library()


@register.simple_tag
def retention_days() -> int:
    """settings.RETENTION_DAYS (730 unless set), for the privacy notice."""
    return _retention_days()
