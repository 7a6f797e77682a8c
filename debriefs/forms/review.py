"""The programme team's forms for reviewing debriefs and following up policy actions.

The review page holds several small forms at once, so each has its own `auto_id` prefix: field
names stay plain ("comment"), ids stay unique on the page.
"""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fluid, Layout, Size, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from connecting.forms import RequiredMessagesMixin
from debriefs.forms.preparation import PersonalDataWarningMixin, personal_data_confirmed_field
from debriefs.models import DebriefStatus, PolicyActionStatus
from debriefs.selectors.review import (
    POLICY_OWNER_MINE,
    REVIEWER_ME,
    REVIEWER_NONE,
    STATUS_ALL,
    programme_team_choices,
)
from partners.models import Sector
from placements.models import Cohort, Programme, Theme

TEXT_MAX_LENGTH = 10_000
TITLE_MAX_LENGTH = 200
AGE_CHOICES = (7, 14, 28)
PERSONAL_DATA_CONFIRM_LABEL = _(
    "I have checked: these are not details of a patient, service user or member of the public"
)


def _helper(*layout) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.layout = Layout(*layout)
    return helper


def _filter_helper(*layout) -> FormHelper:
    helper = _helper(*layout)
    # A GET form: without these crispy would put the CSRF token into every filtered URL.
    helper.form_method = "get"
    helper.disable_csrf = True
    return helper


def _text_field(*, label, required=True, help_text="", max_length=TEXT_MAX_LENGTH, textarea=True):
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        max_length=max_length,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}) if textarea else forms.TextInput,
        error_messages={
            "max_length": _("Enter %(max)s characters or fewer") % {"max": f"{max_length:,}"},
            "null_characters_not_allowed": _("Enter the text without special characters"),
        },
    )


class _PrefixedForm(forms.Form):
    """A form among several on one page: ids start with `id_<auto_prefix>_`."""

    auto_prefix = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"id_{self.auto_prefix}_%s")
        super().__init__(*args, **kwargs)


# --- The queue's filters --------------------------------------------------------------------------


class _CohortChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.programme.name}: {obj.name}"


class _TeamMemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.full_name or obj.email


class ReviewFilterForm(forms.Form):
    """Filters for the review queue and the exports, read from the query string; every one optional.
    A bad value is shown as an error and dropped, not guessed."""

    programme = forms.ModelChoiceField(
        label=_("Programme"),
        required=False,
        queryset=Programme.objects.order_by("name", "pk"),
        empty_label=_("All programmes"),
        error_messages={"invalid_choice": _("Choose a programme from the list")},
    )
    cohort = _CohortChoiceField(
        label=_("Cohort"),
        required=False,
        queryset=Cohort.objects.select_related("programme").order_by("programme__name", "name", "pk"),
        empty_label=_("All cohorts"),
        error_messages={"invalid_choice": _("Choose a cohort from the list")},
    )
    sector = forms.ChoiceField(
        label=_("Partner sector"),
        required=False,
        choices=[("", _("All sectors")), *Sector.choices],
        error_messages={"invalid_choice": _("Choose a sector from the list")},
    )
    theme = forms.ModelChoiceField(
        label=_("Theme"),
        required=False,
        queryset=Theme.objects.order_by("name", "pk"),
        empty_label=_("All themes"),
        error_messages={"invalid_choice": _("Choose a theme from the list")},
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Waiting for review")),
            (DebriefStatus.SUBMITTED, DebriefStatus.SUBMITTED.label),
            (DebriefStatus.IN_REVIEW, DebriefStatus.IN_REVIEW.label),
            (DebriefStatus.CHANGES_REQUESTED, DebriefStatus.CHANGES_REQUESTED.label),
            (DebriefStatus.APPROVED, DebriefStatus.APPROVED.label),
            (DebriefStatus.PUBLISHED, DebriefStatus.PUBLISHED.label),
            (STATUS_ALL, _("All")),
        ],
        help_text=_("Waiting for review: submitted, in review or with changes requested"),
        error_messages={"invalid_choice": _("Choose a status from the list")},
    )
    age = forms.TypedChoiceField(
        label=_("Submitted"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", _("Any time")),
            *((days, _("More than %(days)d days ago") % {"days": days}) for days in AGE_CHOICES),
        ],
        error_messages={"invalid_choice": _("Choose how long ago from the list")},
    )
    reviewer = forms.ChoiceField(
        label=_("Reviewer"),
        required=False,
        error_messages={"invalid_choice": _("Choose a reviewer from the list")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].choices = [
            ("", _("Anyone")),
            (REVIEWER_ME, _("Assigned to me")),
            (REVIEWER_NONE, _("Unassigned")),
            *((str(member.pk), member.full_name or member.email) for member in programme_team_choices()),
        ]
        self.helper = _filter_helper(*(Field.select(name) for name in self.fields))

    def filters(self) -> dict:
        """The valid filters as keyword arguments for the selectors."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {
            "programme": cleaned.get("programme"),
            "cohort": cleaned.get("cohort"),
            "sector": cleaned.get("sector") or "",
            "theme": cleaned.get("theme"),
            "status": cleaned.get("status") or "",
            "older_than_days": cleaned.get("age"),
            "reviewer": cleaned.get("reviewer") or "",
        }

    def query_items(self) -> list[tuple[str, str]]:
        """The valid filters as query-string pairs, for links and the export form."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return [(name, self.data[name]) for name in self.fields if cleaned.get(name) not in (None, "")]


# --- Steps of the review --------------------------------------------------------------------------


class _CommentForm(RequiredMessagesMixin, _PrefixedForm):
    comment_label = _("Comment")
    comment_hint = ""
    comment_required = True
    button = _("Save")
    button_class = ""
    # The button's name, posted with its label as the value: never a field's name, or the label
    # would be posted as that field too, and Django reads the last value ("Add comment").
    button_name = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comment"] = _text_field(
            label=self.comment_label, required=self.comment_required, help_text=self.comment_hint
        )
        if self.comment_required:
            self.fields["comment"].error_messages["required"] = self.required_messages["comment"]
        self.helper = _helper(
            Field.textarea("comment", label_size=Size.SMALL, rows=3),
            Submit(self.button_name or self.auto_prefix, self.button, css_class=self.button_class),
        )


class StartReviewForm(_PrefixedForm):
    auto_prefix = "start"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(Submit("start", _("Start review")))


class RequestChangesForm(_CommentForm):
    auto_prefix = "changes"
    required_messages = {"comment": _("Enter what the author should change")}
    comment_label = _("What should the author change?")
    comment_hint = _("The author will see this.")
    button = _("Request changes")
    button_class = "govuk-button--secondary"


class ApproveForm(_CommentForm):
    auto_prefix = "approve"
    comment_label = _("Comment for the author (optional)")
    comment_required = False
    button = _("Approve")


class ReopenForm(_CommentForm):
    auto_prefix = "reopen"
    required_messages = {"comment": _("Enter why the debrief needs another review")}
    comment_label = _("Why does the debrief need another review?")
    button = _("Reopen for review")
    button_class = "govuk-button--secondary"


class UnpublishForm(_CommentForm):
    auto_prefix = "unpublish"
    required_messages = {"comment": _("Enter why the insight is being withdrawn")}
    comment_label = _("Why is the insight being withdrawn from the learning library?")
    comment_hint = _("The author will see this.")
    button = _("Withdraw from the library")
    button_class = "govuk-button--warning"


class CommentForm(_CommentForm):
    auto_prefix = "comment"
    required_messages = {"comment": _("Enter your comment")}
    comment_label = _("Comment for the author")
    comment_hint = _("The author will see this. The debrief stays as it is.")
    button = _("Add comment")
    button_class = "govuk-button--secondary"
    button_name = "add_comment"


class AssignForm(RequiredMessagesMixin, _PrefixedForm):
    """Give the debrief to a member of the programme team."""

    auto_prefix = "assign"
    required_messages = {"reviewer": _("Select a reviewer")}

    reviewer = _TeamMemberChoiceField(
        label=_("Reviewer"),
        queryset=programme_team_choices(),
        error_messages={"invalid_choice": _("Select a reviewer from the programme team")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = programme_team_choices()
        self.fields["reviewer"].empty_label = _("Choose a team member")
        self.helper = _helper(
            Field.select("reviewer", label_size=Size.SMALL),
            Submit("assign", _("Assign"), css_class="govuk-button--secondary"),
        )


# Policy actions are shown to the host partner on "You said, we did".
_SHOWN_TO_THE_PARTNER = _(
    "This is shown to the partner and may include details of a person. Remove them, or tick the box "
    "to say they are not details of a patient, service user or member of the public."
)


class FlagForm(PersonalDataWarningMixin, RequiredMessagesMixin, _PrefixedForm):
    """Flag the debrief for policy follow-up, with an owner."""

    auto_prefix = "flag"
    required_messages = {"description": _("Enter what needs to happen"), "owner": _("Select an owner")}

    owner = _TeamMemberChoiceField(
        label=_("Owner"),
        queryset=programme_team_choices(),
        error_messages={"invalid_choice": _("Select an owner from the programme team")},
    )

    personal_data_confirmed = personal_data_confirmed_field()
    SHORT_NAMES = {"description": _("What needs to happen")}
    personal_data_lead = _SHOWN_TO_THE_PARTNER

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"description": _text_field(label=_("What needs to happen?")), **self.fields}
        self.fields["description"].error_messages["required"] = self.required_messages["description"]
        self.fields["owner"].queryset = programme_team_choices()
        self.fields["owner"].empty_label = _("Choose a team member")
        self.asks_personal_data_confirmation = bool(self.data.get("personal_data_confirmed"))

    @property
    def helper(self):
        # Built when rendered, so a warning added after validation brings its checkbox with it.
        return _helper(
            Field.textarea("description", label_size=Size.SMALL, rows=3),
            Field.select("owner", label_size=Size.SMALL),
            *([Field.checkbox("personal_data_confirmed")] if self.asks_personal_data_confirmation else []),
            Submit("flag", _("Flag for policy follow-up"), css_class="govuk-button--secondary"),
        )


class PublishForm(RequiredMessagesMixin, forms.Form):
    """The insight's title and text; the personal-data check box only once warnings arise."""

    required_messages = {
        "title": _("Enter a title for the insight"),
        "body": _("Enter the text of the insight"),
    }

    personal_data_confirmed = forms.BooleanField(label=PERSONAL_DATA_CONFIRM_LABEL, required=False)

    def __init__(self, *args, show_confirm: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {
            "title": _text_field(label=_("Title"), max_length=TITLE_MAX_LENGTH, textarea=False),
            "body": _text_field(
                label=_("Text"),
                help_text=_("An edit of the debrief. Remove anything that identifies a person."),
            ),
            **self.fields,
        }
        for name in ("title", "body"):
            self.fields[name].error_messages["required"] = self.required_messages[name]
        layout = [
            Field.text("title", field_width=Fluid.FULL),
            Field.textarea("body", rows=12),
        ]
        if show_confirm:
            layout.append(Field.checkbox("personal_data_confirmed"))
        else:
            del self.fields["personal_data_confirmed"]
        layout.append(Submit("publish", _("Publish to the learning library")))
        self.helper = _helper(*layout)


# --- Policy follow-up -----------------------------------------------------------------------------


class PolicyActionFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *PolicyActionStatus.choices],
        error_messages={"invalid_choice": _("Choose a status from the list")},
    )
    owner = forms.ChoiceField(
        label=_("Owner"),
        required=False,
        choices=[("", _("Anyone")), (POLICY_OWNER_MINE, _("Mine"))],
        error_messages={"invalid_choice": _("Choose an owner from the list")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _filter_helper(Field.select("status"), Field.select("owner"))

    def filters(self) -> dict[str, str]:
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {"status": cleaned.get("status") or "", "owner": cleaned.get("owner") or ""}


class PolicyActionForm(PersonalDataWarningMixin, RequiredMessagesMixin, forms.Form):
    """Move a policy action on; done needs what was done (the service says so, on the outcome)."""

    required_messages = {"status": _("Select a status"), "owner": _("Select an owner")}

    status = forms.ChoiceField(
        label=_("Status"),
        choices=PolicyActionStatus.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Select a status")},
    )
    owner = _TeamMemberChoiceField(
        label=_("Owner"),
        queryset=programme_team_choices(),
        error_messages={"invalid_choice": _("Select an owner from the programme team")},
    )

    personal_data_confirmed = personal_data_confirmed_field()
    SHORT_NAMES = {"outcome": _("What we did"), "description": _("What needs to happen")}
    personal_data_lead = _SHOWN_TO_THE_PARTNER

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = programme_team_choices()
        self.fields["owner"].empty_label = None
        self.fields["outcome"] = _text_field(
            label=_("What we did"),
            required=False,
            help_text=_("Needed when the action is done. The partner who hosted the visit sees it."),
        )
        self.asks_personal_data_confirmation = bool(self.data.get("personal_data_confirmed"))

    @property
    def helper(self):
        return _helper(
            Field.radios("status", legend_size=Size.SMALL, inline=True),
            Field.select("owner", label_size=Size.SMALL),
            Field.textarea("outcome", label_size=Size.SMALL, rows=5),
            *([Field.checkbox("personal_data_confirmed")] if self.asks_personal_data_confirmation else []),
            Submit("save", _("Save")),
        )
