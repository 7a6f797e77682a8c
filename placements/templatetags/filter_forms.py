"""`{% filter_form form %}`: a list page's GET filter form, rendered by crispy-forms as
`{% crispy form %}` would, but rendered once per distinct state and then reused.

The markup of a filter form is a function of what the form is: its class (layout, labels, help),
the value each field shows, the options of each select (programmes, themes, cohorts, team members:
read afresh on every request and made part of the key, so a new or renamed one shows at once),
and the language. Rendering it through crispy's templates costs more than the rest of a list page
(one template per field and per option); working out the key costs the option queries only.
A form with errors is always rendered afresh.

The key holds nobody's identity and the form shows nothing of the person looking (filter forms are
GET forms without a CSRF token), so one rendering can serve everyone. The memo lives in each
process (templates change only with a deploy, which restarts them) and keeps the most recently
used `MAX_FORMS` renderings.
"""

import threading
from collections import OrderedDict

from crispy_forms.utils import render_crispy_form
from django import template
from django.utils.translation import get_language

register = template.Library()

MAX_FORMS = 256

_rendered: OrderedDict = OrderedDict()
_lock = threading.Lock()


def filter_form_key(form) -> tuple | None:
    """Everything the form's markup depends on, or None when it must be rendered afresh."""
    if form.errors or getattr(form.helper, "disable_csrf", False) is not True:
        return None
    fields = []
    for name, field in form.fields.items():
        value = form[name].value()
        choices = getattr(field, "choices", None)
        if choices is not None:
            # Read a model choice field's options once: a rendering after a miss reuses this list.
            # (`iter` first: `list` would ask a ModelChoiceIterator its length, a COUNT query.)
            field.choices = choices = list(iter(choices))
        options = (
            tuple((str(option), str(label)) for option, label in choices) if choices is not None else None
        )
        fields.append((name, repr(value), options))
    return (type(form).__module__, type(form).__qualname__, get_language(), form.is_bound, tuple(fields))


@register.simple_tag
def filter_form(form):
    key = filter_form_key(form)
    if key is None:
        return render_crispy_form(form)
    with _lock:
        html = _rendered.get(key)
        if html is not None:
            _rendered.move_to_end(key)
            return html
    html = render_crispy_form(form)
    with _lock:
        _rendered[key] = html
        while len(_rendered) > MAX_FORMS:
            _rendered.popitem(last=False)
    return html
