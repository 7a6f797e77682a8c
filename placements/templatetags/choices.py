"""The label of a field's choice, for lists that show many rows.

`{{ partner|choice_label:"sector" }}` gives what `{{ partner.get_sector_display }}` gives. Django's
`get_FOO_display` builds a dictionary of every choice, translating each label, on every call: a
page of twenty cards paid for that sixty times.
"""

import functools

from django import template

register = template.Library()


@functools.cache
def _labels(model: type, field_name: str) -> dict:
    # Lazy labels: each is translated when shown, in the language of that request.
    return dict(model._meta.get_field(field_name).flatchoices)


@register.filter
def choice_label(instance, field_name: str):
    value = getattr(instance, field_name)
    return _labels(type(instance)._meta.concrete_model, field_name).get(value, value)
