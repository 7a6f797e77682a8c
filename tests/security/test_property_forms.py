"""Any input to any of the portal's forms ends in a valid form or in form errors a person can read:
never an exception, and validating never writes to the database.

Every form class defined in the portal's own packages is found by importing them all, so a new form
cannot slip past: it fails `test_every_form_has_a_builder` until it has an entry in `BUILDERS`.
"""

import datetime
import importlib
import os
import pkgutil
import tempfile
from pathlib import Path

import pytest
from allauth.core import context as allauth_context
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.cache import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils.datastructures import MultiValueDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from tests.factories import (
    CohortFactory,
    OpportunityFactory,
    ParticipantFactory,
    PartnerFactory,
    ProgrammeFactory,
    ProgrammeTeamFactory,
)
from tests.security.matrix import TABLES_ANY_REQUEST_MAY_WRITE

pytestmark = pytest.mark.django_db

PROJECT_PACKAGES = ("connecting", "placements", "debriefs", "partners")

# No `.hypothesis/` directory in the checkout: no example database, and Hypothesis's caches
# (constants, unicode tables) in the temporary directory. The same examples on every CI run.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "connecting-hypothesis")
HYPOTHESIS = settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=os.environ.get("CI") == "true",
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def project_form_classes() -> dict[str, type]:
    """Every Form, ModelForm and FormSet class defined in the portal's packages, by dotted name."""
    for package_name in PROJECT_PACKAGES:
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if ".migrations" in module.name or module.name.endswith((".wsgi", ".asgi")):
                continue
            importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    found = {}
    for base in (forms.BaseForm, forms.BaseFormSet):
        for cls in subclasses(base):
            if cls.__module__.split(".")[0] in PROJECT_PACKAGES:
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return found


# --- How to build each form -------------------------------------------------------------------------
#
# A builder takes the small world below and the posted data and files, and returns the form (or
# formset) the way its view builds it. Several builders for one form cover its variants.


class World:
    """What the forms' choices and constructor arguments need, made once per test."""

    def __init__(self):
        self.participant = ParticipantFactory()
        self.team = ProgrammeTeamFactory()
        self.cohort = CohortFactory()
        self.programme = self.cohort.programme
        self.other_programme = ProgrammeFactory(line_manager_approval_required=True)
        CohortFactory(programme=self.other_programme)
        self.partner = PartnerFactory()
        OpportunityFactory(partner=self.partner, programmes=[self.programme])

    def programmes(self):
        from placements.models import Programme

        return Programme.objects.order_by("pk")

    def partners(self):
        from partners.models import Partner

        return Partner.objects.order_by("pk")

    def survey_questions(self):
        from connecting.surveys.models import QuestionKind, Survey, SurveyAudience, SurveyQuestion

        if not hasattr(self, "_questions"):
            survey = Survey.objects.create(
                programme=self.programme,
                audience=SurveyAudience.values[0],
                title="How was it?",
                created_by=self.team,
            )
            self._questions = [
                SurveyQuestion.objects.create(
                    survey=survey, position=i, text=f"Question {i}", kind=kind, statement=f"Statement {i}"
                )
                for i, kind in enumerate(QuestionKind.values, start=1)
            ]
        return self._questions


def _form(path):
    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def _plain(path, **kwargs):
    return lambda world, data, files: _form(path)(data, files, **kwargs)


def _for_user(path, user="participant", **kwargs):
    # allauth's forms take `user` as their first argument.
    return lambda world, data, files: _form(path)(data=data, files=files, user=getattr(world, user), **kwargs)


def _dashboard(world, data, files):
    from connecting.dashboard.forms import DashboardFilterForm
    from placements.models import Cohort

    return DashboardFilterForm(
        data,
        programmes=list(world.programmes()),
        cohorts=list(Cohort.objects.order_by("pk")),
        today=datetime.date(2026, 10, 1),
    )


def _question_formset(world, data, files):
    from connecting.surveys.forms import question_formset

    return question_formset(data)


def _action_formset(world, data, files):
    from debriefs.forms.debriefs import action_formset

    return action_formset(data)


def _booking_request(many: bool, full: bool):
    def build(world, data, files):
        from placements.forms.bookings import BookingRequestForm

        programmes = list(world.programmes())
        return BookingRequestForm(data, files, programmes=programmes if many else programmes[-1:], full=full)

    return build


def _answer(world, data, files):
    from connecting.surveys.forms import AnswerForm

    return AnswerForm(data, files, questions=world.survey_questions())


# A base whose fields its subclasses name: it cannot be built alone, and is tested through them.
BASE_ONLY: list = []

PARTICIPANT_NAME = {"participant_name": "Aisha <b>Rahman</b>"}

BUILDERS = {
    # Accounts (allauth's forms, re-worded)
    "connecting.accounts.forms.ParticipantSignupForm": [
        _plain("connecting.accounts.forms.ParticipantSignupForm")
    ],
    "connecting.accounts.forms.ParticipantLoginForm": [
        lambda world, data, files: _form("connecting.accounts.forms.ParticipantLoginForm")(
            data, files, request=allauth_context.request
        )
    ],
    "connecting.accounts.forms.ParticipantAddEmailForm": [
        _for_user("connecting.accounts.forms.ParticipantAddEmailForm")
    ],
    "connecting.accounts.forms.AccountChangePasswordForm": [
        _for_user("connecting.accounts.forms.AccountChangePasswordForm")
    ],
    "connecting.accounts.forms.AccountSetPasswordForm": [
        _for_user("connecting.accounts.forms.AccountSetPasswordForm")
    ],
    "connecting.accounts.forms.AccountResetPasswordKeyForm": [
        _for_user("connecting.accounts.forms.AccountResetPasswordKeyForm", temp_key="key")
    ],
    "connecting.accounts.forms.AccountResetPasswordForm": [
        _plain("connecting.accounts.forms.AccountResetPasswordForm")
    ],
    "connecting.accounts.forms.AccountRequestLoginCodeForm": [
        _plain("connecting.accounts.forms.AccountRequestLoginCodeForm")
    ],
    "connecting.accounts.forms.AccountConfirmLoginCodeForm": [
        _plain("connecting.accounts.forms.AccountConfirmLoginCodeForm", code="ABC123")
    ],
    "connecting.accounts.forms.AccountReauthenticateForm": [
        _for_user("connecting.accounts.forms.AccountReauthenticateForm")
    ],
    "connecting.accounts.forms.MFAAuthenticateForm": [
        _for_user("connecting.accounts.forms.MFAAuthenticateForm", "team")
    ],
    "connecting.accounts.forms.MFAReauthenticateForm": [
        _for_user("connecting.accounts.forms.MFAReauthenticateForm", "team")
    ],
    "connecting.accounts.forms.MFAActivateTOTPForm": [
        _for_user("connecting.accounts.forms.MFAActivateTOTPForm")
    ],
    "connecting.accounts.forms.ProfileFieldsMixin": [_plain("connecting.accounts.forms.ProfileFieldsMixin")],
    "connecting.accounts.forms.ProfileForm": [
        lambda world, data, files: _form("connecting.accounts.forms.ProfileForm")(
            data, files, instance=world.participant
        )
    ],
    "connecting.accounts.reminder_forms.RemindersForm": [
        _plain("connecting.accounts.reminder_forms.RemindersForm")
    ],
    "connecting.accounts.reminder_forms.UnsubscribeForm": [
        _plain("connecting.accounts.reminder_forms.UnsubscribeForm")
    ],
    # Programme team's pages
    "connecting.audit.forms.AuditFilterForm": [_plain("connecting.audit.forms.AuditFilterForm")],
    "connecting.privacy.forms.DownloadDataForm": [_plain("connecting.privacy.forms.DownloadDataForm")],
    "connecting.privacy.forms.PersonLookupForm": [_plain("connecting.privacy.forms.PersonLookupForm")],
    "connecting.privacy.forms.AnonymiseForm": [_plain("connecting.privacy.forms.AnonymiseForm")],
    "connecting.dashboard.forms.DashboardFilterForm": [_dashboard],
    "connecting.outbox_forms.OutboxFilterForm": [_plain("connecting.outbox_forms.OutboxFilterForm")],
    "connecting.outbox_forms.RetryForm": [_plain("connecting.outbox_forms.RetryForm")],
    "connecting.reports.forms.ExportForm": [_plain("connecting.reports.forms.ExportForm")],
    "connecting.surveys.forms.SurveyForm": [
        _plain("connecting.surveys.forms.SurveyForm", submit_label="Save")
    ],
    "connecting.surveys.forms.QuestionForm": [_plain("connecting.surveys.forms.QuestionForm", number=2)],
    "connecting.surveys.forms.BaseQuestionFormSet": [_question_formset],
    "connecting.surveys.forms.AnswerForm": [_answer],
    # Partners
    "partners.forms.PartnerContactInviteForm": [_plain("partners.forms.PartnerContactInviteForm")],
    "partners.forms.InvitationAcceptForm": [
        _plain("partners.forms.InvitationAcceptForm", email="host@hospice.example.org")
    ],
    "partners.forms.PartnerCapacityFields": [_plain("partners.forms.PartnerCapacityFields")],
    "partners.forms.PartnerIdentityFields": [_plain("partners.forms.PartnerIdentityFields")],
    "partners.forms.PartnerProfileFields": [_plain("partners.forms.PartnerProfileFields")],
    "partners.forms.PartnerCreateForm": [_plain("partners.forms.PartnerCreateForm")],
    "partners.forms.PartnerEditForm": [
        _plain("partners.forms.PartnerEditForm", include_identity=True),
        _plain("partners.forms.PartnerEditForm", include_identity=False),
    ],
    "partners.forms.PartnerCapacityForm": [_plain("partners.forms.PartnerCapacityForm")],
    "partners.forms.PartnerStatusForm": [_plain("partners.forms.PartnerStatusForm", current="active")],
    "partners.forms.PartnerBlackoutForm": [_plain("partners.forms.PartnerBlackoutForm")],
    "partners.forms.PartnerFilterForm": [_plain("partners.forms.PartnerFilterForm")],
    # Programmes, opportunities, bookings
    "placements.forms.programmes.ProgrammeForm": [
        _plain("placements.forms.programmes.ProgrammeForm", submit_label="Save")
    ],
    "placements.forms.programmes.CohortForm": [
        _plain("placements.forms.programmes.CohortForm", submit_label="Save")
    ],
    "placements.forms.programmes.EnrolmentAddForm": [
        lambda world, data, files: _form("placements.forms.programmes.EnrolmentAddForm")(
            data, files, programme=world.programme
        )
    ],
    "placements.forms.programmes.EnrolmentMoveForm": [
        lambda world, data, files: _form("placements.forms.programmes.EnrolmentMoveForm")(
            data, files, programme=world.programme
        )
    ],
    "placements.forms.programmes.EnrolmentUploadForm": [
        _plain("placements.forms.programmes.EnrolmentUploadForm")
    ],
    "placements.forms.opportunities.OpportunityForm": [
        lambda world, data, files: _form("placements.forms.opportunities.OpportunityForm")(
            data, files, partners=world.partners()
        )
    ],
    "placements.forms.opportunities._SlotTimesMixin": [
        _plain("placements.forms.opportunities._SlotTimesMixin")
    ],
    "placements.forms.opportunities.SlotForm": [_plain("placements.forms.opportunities.SlotForm")],
    "placements.forms.opportunities.SlotSeriesForm": [
        _plain("placements.forms.opportunities.SlotSeriesForm")
    ],
    "placements.forms.browse.OpportunityFilterForm": [
        _plain("placements.forms.browse.OpportunityFilterForm")
    ],
    "placements.forms.browse.ParticipantInterestsForm": [
        _plain("placements.forms.browse.ParticipantInterestsForm")
    ],
    "placements.forms.bookings.BookingRequestForm": [
        _booking_request(many=True, full=False),
        _booking_request(many=False, full=True),
    ],
    "placements.forms.bookings.BookingCancelForm": [_plain("placements.forms.bookings.BookingCancelForm")],
    "placements.forms.bookings._DecisionWithReasonForm": BASE_ONLY,
    "placements.forms.bookings.BookingAnswerForm": [
        _plain("placements.forms.bookings.BookingAnswerForm", **PARTICIPANT_NAME)
    ],
    "placements.forms.bookings.ManagerDecisionForm": [
        _plain("placements.forms.bookings.ManagerDecisionForm", **PARTICIPANT_NAME)
    ],
    "placements.forms.bookings.BookingAttendanceForm": [
        _plain("placements.forms.bookings.BookingAttendanceForm", **PARTICIPANT_NAME)
    ],
    "placements.forms.bookings.BookingAnswerManyForm": [
        _plain("placements.forms.bookings.BookingAnswerManyForm")
    ],
    "placements.forms.bookings.BookingFilterForm": [_plain("placements.forms.bookings.BookingFilterForm")],
    # Before and after a visit
    "debriefs.forms.preparation.PreparationForm": [
        _plain("debriefs.forms.preparation.PreparationForm", partner_name="St <i>Luke</i>'s"),
        _plain("debriefs.forms.preparation.PreparationForm", partner_name="Hospice", submitted=True),
    ],
    "debriefs.forms.preparation.JoiningInstructionsForm": [
        _plain("debriefs.forms.preparation.JoiningInstructionsForm"),
        _plain("debriefs.forms.preparation.JoiningInstructionsForm", briefing_pack_filename="pack.pdf"),
    ],
    "debriefs.forms.debriefs.DebriefForm": [
        _plain("debriefs.forms.debriefs.DebriefForm"),
        _plain("debriefs.forms.debriefs.DebriefForm", submitted=True),
    ],
    "debriefs.forms.debriefs.ActionForm": [_plain("debriefs.forms.debriefs.ActionForm", number=1)],
    "debriefs.forms.debriefs.BaseActionFormSet": [_action_formset],
    "debriefs.forms.debriefs.PartnerFeedbackForm": [_plain("debriefs.forms.debriefs.PartnerFeedbackForm")],
    # Review
    "debriefs.forms.review._PrefixedForm": [_plain("debriefs.forms.review._PrefixedForm")],
    "debriefs.forms.review._CommentForm": BASE_ONLY,
    "debriefs.forms.review.RequestChangesForm": [_plain("debriefs.forms.review.RequestChangesForm")],
    "debriefs.forms.review.ApproveForm": [_plain("debriefs.forms.review.ApproveForm")],
    "debriefs.forms.review.ReopenForm": [_plain("debriefs.forms.review.ReopenForm")],
    "debriefs.forms.review.UnpublishForm": [_plain("debriefs.forms.review.UnpublishForm")],
    "debriefs.forms.review.CommentForm": [_plain("debriefs.forms.review.CommentForm")],
    "debriefs.forms.review.StartReviewForm": [_plain("debriefs.forms.review.StartReviewForm")],
    "debriefs.forms.review.AssignForm": [_plain("debriefs.forms.review.AssignForm")],
    "debriefs.forms.review.FlagForm": [_plain("debriefs.forms.review.FlagForm")],
    "debriefs.forms.review.ReviewFilterForm": [_plain("debriefs.forms.review.ReviewFilterForm")],
    "debriefs.forms.review.PublishForm": [
        _plain("debriefs.forms.review.PublishForm"),
        _plain("debriefs.forms.review.PublishForm", show_confirm=True),
    ],
    "debriefs.forms.review.PolicyActionFilterForm": [_plain("debriefs.forms.review.PolicyActionFilterForm")],
    "debriefs.forms.review.PolicyActionForm": [_plain("debriefs.forms.review.PolicyActionForm")],
    "debriefs.forms.themes.ThemeFilterForm": [_plain("debriefs.forms.themes.ThemeFilterForm")],
    "debriefs.forms.library.LibraryFilterForm": [_plain("debriefs.forms.library.LibraryFilterForm")],
    "debriefs.forms.library.YouSaidWeDidPartnerForm": [
        lambda world, data, files: _form("debriefs.forms.library.YouSaidWeDidPartnerForm")(
            data, files, partners=world.partners()
        )
    ],
}

CASES = [
    pytest.param(path, index, id=f"{path.rsplit('.', 1)[1]}-{index}")
    for path, builders in BUILDERS.items()
    for index in range(len(builders))
]


# --- What a visitor can send ------------------------------------------------------------------------

HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "x" * 100_000,
    "0",
    "-1",
    "1.5",
    "1e309",
    "NaN",
    "99999999999999999999999999",
    "-9223372036854775809",
    "2026-02-30",
    "31/12/2026",
    "0000-00-00",
    "9999-12-31",
    "25:61",
    "on",
    "true",
    "None",
    "[]",
    "{}",
    "<script>alert(1)</script>",
    "'; DROP TABLE accounts_user; --",
    "\u202eevil\u202c",
    "😀",
    "\ud7ff\ufeff\u200b",
    "https://evil.example/",
    "person@dhsc.gov.uk",
    "a@b",
    "x",
]

TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
NUMBERS = st.one_of(st.integers(), st.integers(min_value=-(2**70), max_value=2**70), st.floats()).map(str)
DATES = st.dates(datetime.date(1, 1, 1), datetime.date(9999, 12, 31)).map(datetime.date.isoformat)


def _known_values(field) -> list[str]:
    """Values the field would accept on its own, so examples also reach the forms' own `clean`."""
    values = []
    choices = getattr(field, "choices", None)
    if choices is not None:
        try:
            for key, label in choices:
                if isinstance(label, (list, tuple)):  # an optgroup
                    values += [str(k) for k, _label in label]
                else:
                    values.append(str(getattr(key, "value", key)))
        except TypeError:
            pass
    if isinstance(field, forms.MultiValueField):
        values += ["1", "12", "2026", "2027", "9", "30"]
    if isinstance(field, (forms.TimeField, forms.DateTimeField)):
        values += ["09:00", "17:30", "9am", "5pm", "2026-10-01 09:00"]
    if isinstance(field, forms.EmailField):
        values += ["someone@dhsc.gov.uk", "host@hospice.example.org"]
    return [value for value in values if value != ""] or ["1"]


def _value(field):
    return st.one_of(st.sampled_from(HOSTILE), TEXT, NUMBERS, DATES, st.sampled_from(_known_values(field)))


def _data_keys(form) -> dict[str, object]:
    """Posted name -> the field it feeds: each field's name(s) with the form's prefix, sub-widgets too."""
    keys = {}
    for name, field in form.fields.items():
        posted = form.add_prefix(name)
        suffixes = getattr(field.widget, "widgets_names", None)
        if suffixes:
            keys.update({posted + suffix: field for suffix in suffixes})
        keys[posted] = field
    return keys


def _all_keys(form_or_formset) -> tuple[dict, dict]:
    """(data keys, file keys) of a form, or of a formset's management form and rows (one spare row)."""
    if isinstance(form_or_formset, forms.BaseFormSet):
        formset = form_or_formset
        keys = _data_keys(formset.management_form)
        for form in [*formset.forms, formset.empty_form]:
            keys.update(_data_keys(form))
        spare = len(formset.forms)
        keys.update(
            {k.replace("__prefix__", str(spare)): f for k, f in _data_keys(formset.empty_form).items()}
        )
    else:
        keys = _data_keys(form_or_formset)
    files = {k: f for k, f in keys.items() if isinstance(f, forms.FileField)}
    return {k: f for k, f in keys.items() if k not in files}, files


@st.composite
def posted(draw, data_keys: dict, file_keys: dict):
    """A posted body: some of the form's own names (each with one to three values), and a stray name."""
    data = MultiValueDict()
    for key in draw(st.lists(st.sampled_from(sorted(data_keys)), unique=True)) if data_keys else []:
        data.setlist(key, draw(st.lists(_value(data_keys[key]), min_size=1, max_size=3)))
    if draw(st.booleans()):
        data.setlist(draw(TEXT), [draw(TEXT)])
    files = MultiValueDict()
    for key in draw(st.lists(st.sampled_from(sorted(file_keys)), unique=True)) if file_keys else []:
        name = draw(
            st.one_of(st.sampled_from(["list.csv", "pack.pdf", "pack.docx", "x.exe", "", ".csv"]), TEXT)
        )
        content = draw(
            st.one_of(st.binary(max_size=200), st.sampled_from([b"", b"%PDF-1.4\n", b"email\n\x00\xff"]))
        )
        files.setlist(key, [SimpleUploadedFile(name or "file", content)])
    return data, files


def _request(world):
    request = RequestFactory().post("/")
    request.session = SessionStore()
    request.user = AnonymousUser()
    return request


def _writes(queries) -> list[str]:
    """The writes among the queries, less the audit log's record of a failed sign-in and the like."""
    writes = [
        q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    return [sql for sql in writes if not any(f'"{table}"' in sql for table in TABLES_ANY_REQUEST_MAY_WRITE)]


def _messages(form_or_formset) -> list:
    if isinstance(form_or_formset, forms.BaseFormSet):
        found = list(form_or_formset.non_form_errors())
        for form in form_or_formset.forms:
            found += _messages(form)
        return found
    return [message for errors in form_or_formset.errors.values() for message in errors]


# --- The tests --------------------------------------------------------------------------------------


def test_every_form_has_a_builder():
    """A new form must be added to BUILDERS (and so to the property test), and a removed one taken out."""
    found = project_form_classes()

    assert {
        "forms without a builder": sorted(found.keys() - BUILDERS.keys()),
        "builders of forms that are gone": sorted(BUILDERS.keys() - found.keys()),
    } == {"forms without a builder": [], "builders of forms that are gone": []}


@pytest.mark.parametrize(("path", "variant"), CASES)
def test_any_input_gives_a_valid_form_or_readable_errors_and_writes_nothing(path, variant):
    world = World()
    build = BUILDERS[path][variant]
    request = _request(world)
    with allauth_context.request_context(request):
        data_keys, file_keys = _all_keys(build(world, None, None))

    @HYPOTHESIS
    @given(body=posted(data_keys, file_keys))
    def check(body):
        data, files = body
        with allauth_context.request_context(request), CaptureQueriesContext(connection) as queries:
            form = build(world, data, files)
            valid = form.is_valid()
            messages = _messages(form)
        assert isinstance(valid, bool)
        assert all(isinstance(str(message), str) and str(message).strip() for message in messages)
        assert valid or messages or (isinstance(form, forms.BaseFormSet) and form.total_error_count())
        assert _writes(queries) == []

    check()
