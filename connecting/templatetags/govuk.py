from django import template

register = template.Library()


@register.filter
def without_placeholders(form):
    """GOV.UK forms carry no placeholder text: it vanishes as you type and fails contrast checks.

    allauth's forms set placeholders on their widgets; this drops them before crispy renders.
    """
    for field in form.fields.values():
        field.widget.attrs.pop("placeholder", None)
    return form


@register.simple_tag
def elided_page_range(page, on_each_side=2, on_ends=1):
    """Page numbers with ellipses, so a list of 400 pages shows about ten links, not 400."""
    return page.paginator.get_elided_page_range(page.number, on_each_side=on_each_side, on_ends=on_ends)


@register.simple_tag(takes_context=True)
def page_link(context, number, param="page"):
    """This page's query string with one page parameter changed; for pages with several lists."""
    query = context["request"].GET.copy()
    query[param] = number
    return f"?{query.urlencode()}"
