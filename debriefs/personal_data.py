"""Privacy-safe capture: find likely personal data in the free text of a debrief or preparation.

Visitors meet patients and service users, and what they write is read by hosts, reviewers and the
learning library. Before a form is submitted its free text goes through personal_data_find, the
author is asked to remove or confirm each finding, and the reviewer sees the same warnings.

This is a warning, not a filter: it errs towards asking. It finds NHS numbers (with a valid check
digit), dates of birth, UK phone numbers, e-mail addresses, full UK postcodes and a title followed by
a name. It never changes the text and keeps nothing.

Every pattern here is linear on hostile input (bounded repeats, a match starts only where a run
starts), so 100,000 characters of anything are checked in well under a second.
"""

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from connecting.postcodes import postcode_normalise

KINDS = ("nhs_number", "date_of_birth", "phone_number", "email", "postcode", "titled_name")

_LABELS = {
    "nhs_number": _("an NHS number"),
    "date_of_birth": _("a date of birth"),
    "phone_number": _("a phone number"),
    "email": _("an e-mail address"),
    "postcode": _("a full postcode"),
    "titled_name": _("a title followed by a name"),
}


@dataclass(frozen=True)
class PersonalDataFinding:
    kind: str  # one of KINDS
    text: str  # the exact matched text, as it appears
    label: str  # how to name it to a person, "an NHS number"


def personal_data_find(text: str, *, today: datetime.date | None = None) -> list[PersonalDataFinding]:
    """Findings in order of appearance, each distinct (kind, text) once.

    `today` decides which full dates are old enough to be taken for dates of birth (five years or
    more before it); it defaults to the server's date.
    """
    if not text:
        return []
    today = today or datetime.date.today()
    spans = [
        *_nhs_numbers(text),
        *_dates_of_birth(text, today),
        *_emails(text),
        *_postcodes(text),
        *_titled_names(text),
    ]
    # An NHS number or a date can also be a valid phone number ("016 977 2039"): say it once, as
    # the more specific kind. Anything inside an e-mail address is part of that address.
    taken = [(start, end) for start, end, kind, _text in spans if kind in ("nhs_number", "date_of_birth")]
    spans += [span for span in _phone_numbers(text) if not _overlaps(span, taken)]
    emails = [(start, end) for start, end, kind, _text in spans if kind == "email"]
    spans = [span for span in spans if span[2] == "email" or not _inside(span, emails)]

    findings: list[PersonalDataFinding] = []
    seen: set[tuple[str, str]] = set()
    for _start, _end, kind, matched in sorted(spans, key=lambda span: (span[0], KINDS.index(span[2]))):
        if (kind, matched) not in seen:
            seen.add((kind, matched))
            findings.append(PersonalDataFinding(kind=kind, text=matched, label=str(_LABELS[kind])))
    return findings


def personal_data_find_in_fields(
    fields: dict[str, str], *, today: datetime.date | None = None
) -> dict[str, list[PersonalDataFinding]]:
    """Field name -> its findings, only for fields with any, in the given field order."""
    found = {name: personal_data_find(value or "", today=today) for name, value in fields.items()}
    return {name: findings for name, findings in found.items() if findings}


_Span = tuple[int, int, str, str]  # start, end, kind, matched text


def _overlaps(span: _Span, others: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in others)


def _inside(span: _Span, others: list[tuple[int, int]]) -> bool:
    return any(start <= span[0] and span[1] <= end for start, end in others)


# --- NHS numbers ------------------------------------------------------------------------------------

# Ten digits together, or 3-3-4 with one kind of separator; never part of a longer run of digits.
_NHS_NUMBER = re.compile(r"(?<![0-9])([0-9]{3})([ -]?)([0-9]{3})\2([0-9]{4})(?![0-9])")


def _nhs_numbers(text: str) -> Iterator[_Span]:
    for match in _NHS_NUMBER.finditer(text):
        if _nhs_check_digit_valid(match[1] + match[3] + match[4]):
            yield match.start(), match.end(), "nhs_number", match[0]


def _nhs_check_digit_valid(digits: str) -> bool:
    """Modulus 11: weights 10 to 2 on the first nine digits; 11 - remainder is the tenth (11 is 0)."""
    total = sum(int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


# --- Dates of birth ---------------------------------------------------------------------------------

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH_NAME = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_FULL_DATE = re.compile(
    rf"""
      (?<![0-9])(?<![0-9][./-])
      (?P<nd>[0-9]{{1,2}})(?P<sep>[/.-])(?P<nm>[0-9]{{1,2}})(?P=sep)(?P<ny>[0-9]{{4}}|[0-9]{{2}})
      (?![0-9])(?!(?P=sep)[0-9])                                         # 12/03/1985, 12.3.85
    | (?<![0-9])
      (?P<td>[0-9]{{1,2}})(?:st|nd|rd|th)?\s{{1,3}}(?:of\s{{1,3}})?
      (?P<tm>{_MONTH_NAME})\.?,?\s{{1,3}}(?P<ty>[0-9]{{4}}|[0-9]{{2}})(?![0-9])  # 12th of March, 1985
    | (?<![0-9])(?<![0-9]-)
      (?P<iy>[0-9]{{4}})-(?P<im>[0-9]{{2}})-(?P<id>[0-9]{{2}})(?![0-9])(?!-[0-9])  # 1985-03-12
    """,
    re.IGNORECASE | re.VERBOSE,
)
# A birth word, then at most four more words, right before the date: "born in Leeds on 12/03/85".
_BIRTH_CUE = re.compile(
    r"""
    (?:\bborn|\bd\.?o\.?b\b\.?|\bdate[\s-]{1,3}of[\s-]{1,3}birth|\bbirth[\s-]?date|\bbirthday)
    \W{0,5}(?:\w{1,30}\W{1,5}){0,4}\Z
    """,
    re.IGNORECASE | re.VERBOSE,
)
_CUE_WINDOW = 80  # characters before a date that may hold its cue
_OLDEST_YEAR = 1900  # a four-digit year before this is history, not a birth


def _dates_of_birth(text: str, today: datetime.date) -> Iterator[_Span]:
    five_years_ago = _years_before(today, 5)
    for match in _FULL_DATE.finditer(text):
        day, month, year = _date_parts(match)
        cued = bool(_BIRTH_CUE.search(text, max(0, match.start() - _CUE_WINDOW), match.start()))
        if len(year) == 2:
            # Two-digit years are too common in other dates to count without a cue. A birth is
            # in the past, which fixes the century: "DOB 01/01/30" is 1930.
            if not cued:
                continue
            full_year = 2000 + int(year)
            if (full_year, month, day) > (today.year, today.month, today.day):
                full_year -= 100
        else:
            full_year = int(year)
            if full_year < _OLDEST_YEAR:
                continue
        try:
            date = datetime.date(full_year, month, day)
        except ValueError:  # 31/02/1985
            continue
        if cued or date <= five_years_ago:
            yield match.start(), match.end(), "date_of_birth", match[0]


def _date_parts(match: re.Match) -> tuple[int, int, str]:
    if match["nd"]:
        return int(match["nd"]), int(match["nm"]), match["ny"]
    if match["td"]:
        return int(match["td"]), _MONTHS[match["tm"][:3].lower()], match["ty"]
    return int(match["id"]), int(match["im"]), match["iy"]


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# --- Phone numbers ----------------------------------------------------------------------------------


def _phone_numbers(text: str) -> Iterator[_Span]:
    # VALID leniency: the number must be a real allocated range for its region, not just digits.
    for match in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.VALID):
        yield match.start, match.end, "phone_number", match.raw_string


# --- E-mail addresses -------------------------------------------------------------------------------

# The look-behind makes a match start only where a run of address characters starts, so a long run
# without an "@" is scanned once, not once per character.
_EMAIL = re.compile(
    r"""
    (?<![A-Za-z0-9._%+'-])
    [A-Za-z0-9._%+'-]{1,64}@
    (?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,10}[A-Za-z]{2,63}
    (?![A-Za-z0-9-])
    """,
    re.VERBOSE,
)


def _emails(text: str) -> Iterator[_Span]:
    for match in _EMAIL.finditer(text):
        yield match.start(), match.end(), "email", match[0]


# --- Postcodes --------------------------------------------------------------------------------------

# Anything shaped like outward + inward code; connecting.postcodes decides whether it is a real one.
_POSTCODE_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Za-z]{1,2}[0-9][A-Za-z0-9]?|GIR)[ \t\u00a0]{0,3}[0-9][A-Za-z]{2}(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def _postcodes(text: str) -> Iterator[_Span]:
    for match in _POSTCODE_CANDIDATE.finditer(text):
        try:
            postcode_normalise(match[0])
        except ValidationError:
            continue
        yield match.start(), match.end(), "postcode", match[0]


# --- A title followed by a name ---------------------------------------------------------------------

_TITLES = (
    "Professor",
    "Prof",
    "Master",
    "Miss",
    "Mrs",
    "Mr",
    "Ms",
    "Mx",
    "Dr",
    "Sir",
    "Dame",
    "Lord",
    "Lady",
)
_TITLED = re.compile(
    # The names are looked ahead at, not taken, so "Dr Smith and Mrs Patel" finds both.
    r"\b(?:{titles})\.?(?=(?P<names>(?:[ \t\u00a0]{{1,3}}[^\W\d_][\w'’-]{{0,40}}\.?){{1,3}}))".format(
        titles="|".join([*_TITLES, *(title.upper() for title in _TITLES)])  # "Mrs" before "Mr"
    )
)
_TITLE_WORDS = frozenset([*_TITLES, *(title.upper() for title in _TITLES)])
_NAME_PART = re.compile(r"[ \t\u00a0]{1,3}([^\W\d_][\w'’-]{0,40}\.?)")


def _titled_names(text: str) -> Iterator[_Span]:
    for match in _TITLED.finditer(text):
        # The title is followed by up to three words; the name is those that are capitalised.
        end = match.start("names")
        for part in _NAME_PART.finditer(text, match.start("names"), match.end("names")):
            if not part[1][0].isupper() or part[1].rstrip(".") in _TITLE_WORDS:
                break
            end = part.end()
            if part[1].endswith(("'s", "’s")):
                break  # "Mrs Patel's GP" names Mrs Patel: a possessive ends the name
        if end == match.start("names"):
            continue  # "the Dr on the ward"
        if text[end - 1] == ".":
            end -= 1  # the full stop ends the sentence, not the name
        if text[end - 2 : end] in ("'s", "’s"):
            end -= 2  # "Mrs Patel's daughter" names Mrs Patel
        yield match.start(), end, "titled_name", text[match.start() : end]
