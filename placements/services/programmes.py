"""Programmes, their cohorts, and who is enrolled on them: every write the programme team makes."""

import csv
import datetime
import io
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, validate_slug
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _

from connecting.accounts.models import Role
from placements.models import Cohort, Enrolment, Programme

User = get_user_model()

MAX_TARGET_DAYS = 365
MAX_PLACES_PER_SLOT_LIMIT = 500
SLUG_MAX_LENGTH = Programme._meta.get_field("slug").max_length

# --- Programmes ---------------------------------------------------------------------------------


def _day(value: datetime.date) -> str:
    return date_format(value, "j F Y")


def _programme_taken_errors(*, programme: Programme) -> dict:
    """Which of the programme's unique answers another programme already has, in words."""
    others = Programme.objects.exclude(pk=programme.pk)
    errors = {}
    if others.filter(name__iexact=programme.name).exists():
        errors["name"] = _("A programme called “%(name)s” already exists. Choose a different name.") % {
            "name": programme.name
        }
    holder = others.filter(slug=programme.slug).first()
    if holder is not None:
        errors["slug"] = _(
            "The short name “%(slug)s” is already used by %(programme)s. Choose a different short name."
        ) % {"slug": programme.slug, "programme": holder.name}
    return errors


def _programme_free_slug(*, programme: Programme) -> str:
    """A short name made from the name, numbered (-2, -3…) when another programme has it already."""
    base = slugify(programme.name)[: SLUG_MAX_LENGTH - 4].strip("-") or "programme"
    taken = set(
        Programme.objects.exclude(pk=programme.pk)
        .filter(slug__startswith=base)
        .values_list("slug", flat=True)
    )
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def _programme_save(
    *,
    programme: Programme,
    name: str,
    slug: str,
    owner_organisation: str,
    description: str,
    target_days_per_participant: int,
    starts_on: datetime.date,
    ends_on: datetime.date | None,
    bookings_confirmed_automatically: bool,
    line_manager_approval_required: bool,
    max_places_per_slot: int,
) -> Programme:
    programme.name = " ".join(name.split())
    programme.slug = slug.strip().lower()
    programme.owner_organisation = owner_organisation.strip()
    programme.description = description.strip()
    programme.target_days_per_participant = target_days_per_participant
    programme.starts_on = starts_on
    programme.ends_on = ends_on
    programme.bookings_confirmed_automatically = bookings_confirmed_automatically
    programme.line_manager_approval_required = line_manager_approval_required
    programme.max_places_per_slot = max_places_per_slot

    errors = {}
    if not programme.name:
        errors["name"] = _("Enter the programme’s name")
    if not programme.owner_organisation:
        errors["owner_organisation"] = _("Enter the organisation that runs the programme")
    if programme.slug:
        try:
            validate_slug(programme.slug)
        except ValidationError:
            errors["slug"] = _("Use only letters, numbers and hyphens in the short name")
    elif programme.name:
        programme.slug = _programme_free_slug(programme=programme)
    if not 0 <= target_days_per_participant <= MAX_TARGET_DAYS:
        errors["target_days_per_participant"] = _("Enter a number of days between 0 and %(most)d") % {
            "most": MAX_TARGET_DAYS
        }
    if not 1 <= max_places_per_slot <= MAX_PLACES_PER_SLOT_LIMIT:
        errors["max_places_per_slot"] = _("Enter a number of places between 1 and %(most)d") % {
            "most": MAX_PLACES_PER_SLOT_LIMIT
        }
    if ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = _("The end date must be the same as or after the start date")
    if programme.pk and "ends_on" not in errors:
        errors |= _programme_cohort_date_errors(programme=programme)
    for name_of_field, message in _programme_taken_errors(programme=programme).items():
        errors.setdefault(name_of_field, message)
    if errors:
        raise ValidationError(errors)
    programme.full_clean(validate_unique=False, validate_constraints=False)

    try:
        with transaction.atomic():
            programme.save()
    except IntegrityError:
        # Another programme took the name or short name since the checks above: say which.
        taken = _programme_taken_errors(programme=programme)
        if taken:
            raise ValidationError(taken) from None
        raise
    return programme


def _programme_cohort_date_errors(*, programme: Programme) -> dict:
    """A programme's new dates must still hold all its cohorts."""
    errors = {}
    cohorts = Cohort.objects.filter(programme=programme)
    early = cohorts.filter(starts_on__lt=programme.starts_on).order_by("starts_on").first()
    if early is not None:
        errors["starts_on"] = _(
            "Cohort “%(cohort)s” starts on %(date)s, before this date. Change the cohort’s dates first."
        ) % {"cohort": early.name, "date": _day(early.starts_on)}
    if programme.ends_on is not None:
        late = cohorts.filter(ends_on__gt=programme.ends_on).order_by("-ends_on").first()
        if late is not None:
            errors["ends_on"] = _(
                "Cohort “%(cohort)s” ends on %(date)s, after this date. Change the cohort’s dates first."
            ) % {"cohort": late.name, "date": _day(late.ends_on)}
    return errors


@transaction.atomic
def programme_create(
    *,
    name: str,
    owner_organisation: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None = None,
    slug: str = "",
    description: str = "",
    target_days_per_participant: int = 2,
    bookings_confirmed_automatically: bool = False,
    line_manager_approval_required: bool = False,
    max_places_per_slot: int = 12,
) -> Programme:
    """Create a programme. A blank `slug` is made from the name (numbered if already used).

    Raises ValidationError keyed by field: blank name or owner, a name or short name another
    programme has (names compared case-insensitively), an end date before the start date.
    """
    return _programme_save(
        programme=Programme(),
        name=name,
        slug=slug,
        owner_organisation=owner_organisation,
        description=description,
        target_days_per_participant=target_days_per_participant,
        starts_on=starts_on,
        ends_on=ends_on,
        bookings_confirmed_automatically=bookings_confirmed_automatically,
        line_manager_approval_required=line_manager_approval_required,
        max_places_per_slot=max_places_per_slot,
    )


@transaction.atomic
def programme_update(
    *,
    programme: Programme,
    name: str,
    owner_organisation: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None,
    slug: str,
    description: str,
    target_days_per_participant: int,
    bookings_confirmed_automatically: bool,
    line_manager_approval_required: bool,
    max_places_per_slot: int,
) -> Programme:
    """Change every field of a programme, booking policy included, under the rules of `programme_create`.

    The new dates must still contain every cohort's dates. On a ValidationError `programme` is
    left as it was in the database; the object passed in is reloaded so no half-applied value shows.
    """
    locked = _programme_lock(programme)
    try:
        return _programme_save(
            programme=locked,
            name=name,
            slug=slug,
            owner_organisation=owner_organisation,
            description=description,
            target_days_per_participant=target_days_per_participant,
            starts_on=starts_on,
            ends_on=ends_on,
            bookings_confirmed_automatically=bookings_confirmed_automatically,
            line_manager_approval_required=line_manager_approval_required,
            max_places_per_slot=max_places_per_slot,
        )
    finally:
        programme.refresh_from_db()


def _programme_lock(programme: Programme) -> Programme:
    """Lock the programme's row: enrolment writes on one programme then take turns."""
    return Programme.objects.select_for_update(no_key=True).get(pk=programme.pk)


# --- Cohorts ------------------------------------------------------------------------------------


def _cohort_save(*, cohort: Cohort, name: str, starts_on: datetime.date, ends_on: datetime.date) -> Cohort:
    programme = cohort.programme
    cohort.name = " ".join(name.split())
    cohort.starts_on = starts_on
    cohort.ends_on = ends_on

    errors = {}
    if not cohort.name:
        errors["name"] = _("Enter the cohort’s name")
    elif _cohort_name_taken(cohort):
        errors["name"] = _(
            "This programme already has a cohort called “%(name)s”. Choose a different name."
        ) % {"name": cohort.name}
    if starts_on < programme.starts_on:
        errors["starts_on"] = _("The cohort cannot start before the programme starts, on %(date)s") % {
            "date": _day(programme.starts_on)
        }
    if ends_on < starts_on:
        errors["ends_on"] = _("The end date must be the same as or after the start date")
    elif programme.ends_on is not None and ends_on > programme.ends_on:
        errors["ends_on"] = _("The cohort cannot end after the programme ends, on %(date)s") % {
            "date": _day(programme.ends_on)
        }
    if errors:
        raise ValidationError(errors)
    cohort.full_clean(exclude=["programme"], validate_unique=False, validate_constraints=False)

    try:
        with transaction.atomic():
            cohort.save()
    except IntegrityError:
        if _cohort_name_taken(cohort):
            raise ValidationError(
                {"name": _("This programme already has a cohort called “%(name)s”.") % {"name": cohort.name}}
            ) from None
        raise
    return cohort


def _cohort_name_taken(cohort: Cohort) -> bool:
    return (
        Cohort.objects.filter(programme_id=cohort.programme_id, name__iexact=cohort.name)
        .exclude(pk=cohort.pk)
        .exists()
    )


@transaction.atomic
def cohort_create(
    *, programme: Programme, name: str, starts_on: datetime.date, ends_on: datetime.date
) -> Cohort:
    """Add a cohort to a programme.

    Raises ValidationError keyed by field: a blank name or one the programme already has (any
    case), an end before the start, or dates outside the programme's own dates.
    """
    return _cohort_save(cohort=Cohort(programme=programme), name=name, starts_on=starts_on, ends_on=ends_on)


@transaction.atomic
def cohort_update(*, cohort: Cohort, name: str, starts_on: datetime.date, ends_on: datetime.date) -> Cohort:
    """Rename or re-date a cohort under the rules of `cohort_create`; its members stay in it."""
    locked = Cohort.objects.select_for_update(no_key=True).select_related("programme").get(pk=cohort.pk)
    try:
        return _cohort_save(cohort=locked, name=name, starts_on=starts_on, ends_on=ends_on)
    finally:
        cohort.refresh_from_db()


# --- Enrolment, one person at a time ---------------------------------------------------------------


def _participant_problem(user) -> str | None:
    """Why this account cannot be enrolled, or None if it can."""
    if user is None:
        return _("No account uses this e-mail address. The person must create an account first.")
    if user.role != Role.PARTICIPANT:
        return _("This e-mail address belongs to a %(role)s account. Only participants can be enrolled.") % {
            "role": user.get_role_display().lower()
        }
    if not user.is_active:
        return _("The account for this e-mail address has been deactivated.")
    return None


def _already_enrolled_error(*, participant, programme: Programme) -> ValidationError:
    return ValidationError(
        {
            "email": _("%(name)s is already enrolled on %(programme)s.")
            % {"name": participant.full_name or participant.email, "programme": programme.name}
        }
    )


@transaction.atomic
def enrolment_create(*, programme: Programme, email: str, by, cohort: Cohort | None = None) -> Enrolment:
    """Enrol the participant who has the account `email` (any case), optionally in a cohort.

    Raises ValidationError on "email" when no active participant account has that address or the
    person is already enrolled, and on "cohort" when the cohort belongs to another programme.
    """
    _programme_lock(programme)
    participant = User.objects.filter(email__iexact=email.strip()).first()
    problem = _participant_problem(participant)
    if problem:
        raise ValidationError({"email": problem})
    if cohort is not None and cohort.programme_id != programme.pk:
        raise ValidationError({"cohort": _("Choose one of this programme’s cohorts")})
    if Enrolment.objects.filter(programme=programme, participant=participant).exists():
        raise _already_enrolled_error(participant=participant, programme=programme)
    try:
        with transaction.atomic():
            return Enrolment.objects.create(
                programme=programme, participant=participant, cohort=cohort, enrolled_by=by
            )
    except IntegrityError:
        raise _already_enrolled_error(participant=participant, programme=programme) from None


@transaction.atomic
def enrolment_move(*, enrolment: Enrolment, cohort: Cohort | None, by) -> Enrolment:
    """Put an enrolled participant in another cohort of the same programme, or in none."""
    if cohort is not None and cohort.programme_id != enrolment.programme_id:
        raise ValidationError({"cohort": _("Choose one of this programme’s cohorts")})
    if enrolment.cohort_id == (cohort.pk if cohort else None):
        return enrolment
    enrolment.cohort = cohort
    enrolment.save(update_fields=["cohort"])
    return enrolment


@transaction.atomic
def enrolment_remove(*, enrolment: Enrolment, by) -> None:
    """Take a participant off a programme. Their account, and any bookings already made, stay."""
    Enrolment.objects.filter(pk=enrolment.pk).delete()


# --- Enrolment from a CSV file ------------------------------------------------------------------

MAX_IMPORT_BYTES = 1024 * 1024
MAX_IMPORT_ROWS = 5000
EMAIL_HEADERS = {"email", "e-mail", "email address", "e-mail address"}
COHORT_HEADERS = {"cohort"}
_SHOWN_VALUE_LENGTH = 80

ENROL, SKIP, ERROR = "enrol", "skip", "error"


@dataclass
class EnrolmentImportRow:
    """One row of the file: its number as a spreadsheet counts them (the header is row 1)."""

    number: int
    email: str
    cohort_name: str
    outcome: str = ENROL
    problems: list[str] = field(default_factory=list)
    note: str = ""
    participant: object = None
    cohort: Cohort | None = None

    def problem(self, message: str) -> None:
        self.outcome = ERROR
        self.problems.append(message)


@dataclass
class EnrolmentImportResult:
    """What an upload found and did. `imported` is True only when every row was accepted."""

    file_errors: list[str] = field(default_factory=list)
    rows: list[EnrolmentImportRow] = field(default_factory=list)
    imported: bool = False

    @property
    def error_rows(self) -> list[EnrolmentImportRow]:
        return [row for row in self.rows if row.outcome == ERROR]

    @property
    def skipped_rows(self) -> list[EnrolmentImportRow]:
        return [row for row in self.rows if row.outcome == SKIP]

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors or self.error_rows)

    @property
    def enrolled_count(self) -> int:
        return sum(row.outcome == ENROL for row in self.rows) if self.imported else 0

    @property
    def skipped_count(self) -> int:
        return len(self.skipped_rows)


def _shown(value: str) -> str:
    return value if len(value) <= _SHOWN_VALUE_LENGTH else value[: _SHOWN_VALUE_LENGTH - 1] + "…"


def _read_text(file, result: EnrolmentImportResult) -> str | None:
    data = file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        result.file_errors.append(_("The file is larger than 1 MB. Split it into smaller files."))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.file_errors.append(
            _(
                "The file must be a CSV file saved as UTF-8. In Excel, save it as “CSV UTF-8 (Comma delimited)”."
            )
        )
        return None
    if "\x00" in text:
        result.file_errors.append(
            _("The file must be a CSV file. This file looks like a different kind of file.")
        )
        return None
    if not text.strip():
        result.file_errors.append(_("The file is empty."))
        return None
    return text


def _read_rows(
    text: str, result: EnrolmentImportResult
) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    """The header (lower-cased) and the non-blank rows with their numbers, or None on a file error."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            cells = [cell.strip() for cell in cells]
            if not any(cells):
                continue
            if header is None:
                header = [cell.lower() for cell in cells]
                continue
            rows.append((number, cells))
            if len(rows) > MAX_IMPORT_ROWS:
                result.file_errors.append(
                    _("The file has more than %(most)s rows. Split it into smaller files.")
                    % {"most": f"{MAX_IMPORT_ROWS:,}"}
                )
                return None
    except csv.Error:
        result.file_errors.append(
            _("Row %(row)d could not be read. Check that the file is a CSV file with one person a row.")
            % {"row": number + 1}
        )
        return None
    if header is None:
        result.file_errors.append(_("The file is empty."))
        return None
    return header, rows


def _column(header: list[str], names: set[str]) -> int | None:
    return next((index for index, name in enumerate(header) if name in names), None)


def _missing_header_error(header: list[str]) -> str:
    first_row = ",".join(header)
    if "@" in first_row:
        return _(
            "The first row must be a header naming the columns. Add a row above the e-mail addresses "
            "with email in the first column (and cohort in the second, if you use it)."
        )
    if ";" in first_row:
        return _("Separate the columns with commas, not semicolons. The header must have an email column.")
    return _(
        "The first row must be a header with a column called email (and, if you use it, one called cohort)."
    )


def _is_valid_email(value: str, validator: EmailValidator) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


def enrolment_import_parse(*, programme: Programme, file) -> EnrolmentImportResult:
    """Read an enrolment file and decide each row's outcome; write nothing.

    The file is UTF-8 CSV (a BOM and CRLF line ends are fine) whose header has an `email` column
    and, optionally, a `cohort` column naming one of the programme's cohorts (any case). Other
    columns and blank lines are ignored; cells are trimmed and addresses compared in lower case.
    A row is an error when its address is missing, invalid, repeated in the file, unknown, not an
    active participant, or its cohort is unknown. A person already enrolled is skipped (their
    cohort is not changed), which is not an error.
    """
    result = EnrolmentImportResult()
    text = _read_text(file, result)
    if text is None:
        return result
    read = _read_rows(text, result)
    if read is None:
        return result
    header, raw_rows = read
    email_column = _column(header, EMAIL_HEADERS)
    if email_column is None:
        result.file_errors.append(_missing_header_error(header))
        return result
    if not raw_rows:
        result.file_errors.append(_("The file has a header but no e-mail addresses under it."))
        return result
    cohort_column = _column(header, COHORT_HEADERS)

    def cell(cells: list[str], column: int | None) -> str:
        return cells[column] if column is not None and column < len(cells) else ""

    validate_email = EmailValidator()
    first_seen: dict[str, int] = {}
    keys: list[str | None] = []  # each row's address in lower case, when it is one to look up
    for number, cells in raw_rows:
        email, cohort_name = cell(cells, email_column), cell(cells, cohort_column)
        row = EnrolmentImportRow(number=number, email=_shown(email), cohort_name=_shown(cohort_name))
        result.rows.append(row)
        keys.append(None)
        if not email:
            row.problem(_("There is no e-mail address in this row."))
        elif len(email) > 254 or not _is_valid_email(email, validate_email):
            row.problem(_("This is not a valid e-mail address."))
        elif email.lower() in first_seen:
            row.problem(
                _("This e-mail address is also on row %(row)d. Each person may appear only once.")
                % {"row": first_seen[email.lower()]}
            )
        else:
            first_seen[email.lower()] = number
            keys[-1] = email.lower()

    people = {
        person.email_lower: person
        for person in User.objects.annotate(email_lower=Lower("email")).filter(
            email_lower__in=list(first_seen)
        )
    }
    cohorts = {cohort.name.lower(): cohort for cohort in Cohort.objects.filter(programme=programme)}
    enrolled = {
        enrolment.participant_id: enrolment
        for enrolment in Enrolment.objects.filter(
            programme=programme, participant__in=[person.pk for person in people.values()]
        ).select_related("cohort")
    }
    for row, key, (_number, cells) in zip(result.rows, keys, raw_rows, strict=True):
        if key is not None:
            row.participant = people.get(key)
            problem = _participant_problem(row.participant)
            if problem:
                row.problem(problem)
        cohort_name = " ".join(cell(cells, cohort_column).split())
        if cohort_name:
            row.cohort = cohorts.get(cohort_name.lower())
            if row.cohort is None:
                row.problem(
                    _("%(programme)s has no cohort called “%(cohort)s”.")
                    % {"programme": programme.name, "cohort": row.cohort_name}
                )
        if row.outcome == ENROL and row.participant.pk in enrolled:
            current = enrolled[row.participant.pk].cohort
            row.outcome = SKIP
            row.note = (
                _("Already enrolled, in cohort “%(cohort)s”: skipped, nothing changed.")
                % {"cohort": current.name}
                if current
                else _("Already enrolled: skipped, nothing changed.")
            )
    return result


@transaction.atomic
def enrolment_import_csv(*, programme: Programme, file, by) -> EnrolmentImportResult:
    """Enrol everyone in an uploaded CSV file, or no one if any row has a problem.

    The programme row is locked before the file is checked, so two uploads of the same file take
    turns: the second finds everyone enrolled and skips them. See `enrolment_import_parse` for
    the format and the rules.
    """
    _programme_lock(programme)
    result = enrolment_import_parse(programme=programme, file=file)
    if result.has_errors:
        return result
    new = [
        Enrolment(programme=programme, participant=row.participant, cohort=row.cohort, enrolled_by=by)
        for row in result.rows
        if row.outcome == ENROL
    ]
    try:
        with transaction.atomic():
            Enrolment.objects.bulk_create(new)
    except IntegrityError:
        result.file_errors.append(
            _(
                "Someone else enrolled people on this programme while the file was being read. Upload it again."
            )
        )
        return result
    result.imported = True
    return result
