"""The outbox page's filters and its "Send again" button."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Div, Field, Fluid, Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from connecting.models import OutboxStatus
from connecting.outbox_selectors import outbox_kind_choices

S = OutboxStatus
SEARCH_MAX_LENGTH = 200


def status_choices() -> list[tuple[str, str]]:
    """The status filter in the page's words; "" is every message."""
    return [
        ("", _("All")),
        (S.PENDING, S.PENDING.label),
        (S.SENDING, S.SENDING.label),
        (S.RETRYING, S.RETRYING.label),
        (S.SENT, S.SENT.label),
        (S.FAILED, S.FAILED.label),
        (S.SKIPPED, _("Not sent")),
    ]


class OutboxFilterForm(forms.Form):
    """Filters read from the query string; a bad value is shown as an error and dropped."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=status_choices,
        error_messages={"invalid_choice": _("Choose a status from the list")},
    )
    kind = forms.ChoiceField(
        label=_("Kind of e-mail"),
        required=False,
        error_messages={"invalid_choice": _("Choose a kind of e-mail from the list")},
    )
    search = forms.CharField(
        label=_("Subject or e-mail address"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        error_messages={
            "max_length": _("Enter %(max)s characters or fewer") % {"max": SEARCH_MAX_LENGTH},
            "null_characters_not_allowed": _("Enter the text without special characters"),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            ("", _("All kinds")),
            *((kind, kind) for kind in outbox_kind_choices()),
        ]
        self.helper = FormHelper()
        self.helper.form_tag = False
        # A GET form: without these crispy would put the CSRF token into every filtered URL.
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        # One row above the table, which then has the page's full width: in a side column the
        # table was too wide for a desktop screen and hid the status behind a sideways scroll.
        column = "govuk-grid-column-one-third"
        self.helper.layout = Layout(
            Div(
                Div(Field.select("status", css_class="govuk-!-width-full"), css_class=column),
                Div(Field.select("kind", css_class="govuk-!-width-full"), css_class=column),
                Div(Field.text("search", field_width=Fluid.FULL), css_class=column),
                css_class="govuk-grid-row",
            )
        )

    def filters(self) -> dict:
        """The valid filters as keyword arguments for the selectors."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {
            "status": cleaned.get("status") or None,
            "kind": cleaned.get("kind") or None,
            "search": cleaned.get("search") or None,
        }

    def query_items(self, *, without: str = "") -> list[tuple[str, str]]:
        """The valid filters as query-string pairs, less `without`, for the status links."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return [(name, cleaned[name]) for name in self.fields if name != without and cleaned.get(name)]


class RetryForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(Submit("retry", _("Send again")))
