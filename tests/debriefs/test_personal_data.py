"""Privacy-safe capture: likely personal data in debrief and preparation free text."""

import datetime

import pytest

from debriefs.personal_data import (
    KINDS,
    PersonalDataFinding,
    personal_data_find,
    personal_data_find_in_fields,
)

TODAY = datetime.date(2026, 6, 15)
LABELS = {
    "nhs_number": "an NHS number",
    "date_of_birth": "a date of birth",
    "phone_number": "a phone number",
    "email": "an e-mail address",
    "postcode": "a full postcode",
    "titled_name": "a title followed by a name",
}


def finding(kind: str, text: str) -> PersonalDataFinding:
    return PersonalDataFinding(kind=kind, text=text, label=LABELS[kind])


def found(text: str, today: datetime.date = TODAY) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in personal_data_find(text, today=today)]


def test_kinds_are_the_documented_six():
    assert KINDS == ("nhs_number", "date_of_birth", "phone_number", "email", "postcode", "titled_name")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NHS numbers: together, 3-3-4 with spaces or hyphens; check digits 9, 0 (11 -> 0) and others.
        ("NHS number 9434765919 on the form", [("nhs_number", "9434765919")]),
        ("NHS number 943 476 5919 on the form", [("nhs_number", "943 476 5919")]),
        ("NHS number 943-476-5919 on the form", [("nhs_number", "943-476-5919")]),
        ("(4010232137)", [("nhs_number", "4010232137")]),  # check digit 7
        ("no. 401 023 2137.", [("nhs_number", "401 023 2137")]),
        ("ref 100 000 0060", [("nhs_number", "100 000 0060")]),  # 11 - 0 = 11, so 0
        # Dates of birth after a cue, any of the formats.
        ("born 12/03/1985", [("date_of_birth", "12/03/1985")]),
        ("DOB 12-03-2024", [("date_of_birth", "12-03-2024")]),
        ("DOB: 12.03.1985", [("date_of_birth", "12.03.1985")]),
        ("D.O.B. 12 March 1985", [("date_of_birth", "12 March 1985")]),
        ("d.o.b 12th Mar 1985", [("date_of_birth", "12th Mar 1985")]),
        ("Date of birth: 1985-03-12", [("date_of_birth", "1985-03-12")]),
        ("her birthday is on 1st of June 2024", [("date_of_birth", "1st of June 2024")]),
        ("born in Leeds on 3 Sept. 2023", [("date_of_birth", "3 Sept. 2023")]),
        ("Born 2/3/2022", [("date_of_birth", "2/3/2022")]),
        # Two-digit years count after a cue, in the century that puts the birth in the past.
        ("DOB 12/03/85", [("date_of_birth", "12/03/85")]),
        ("born 1.2.03", [("date_of_birth", "1.2.03")]),
        ("D.O.B. 12 Mar 85", [("date_of_birth", "12 Mar 85")]),
        ("DOB 29/02/00", [("date_of_birth", "29/02/00")]),
        # Old full dates are most likely births, cue or not.
        ("on 12/03/1985 she", [("date_of_birth", "12/03/1985")]),
        ("on 12.03.1985 she", [("date_of_birth", "12.03.1985")]),
        ("on 1985-03-12 she", [("date_of_birth", "1985-03-12")]),
        ("on 12th Mar 1985 she", [("date_of_birth", "12th Mar 1985")]),
        ("since 15 June 2021", [("date_of_birth", "15 June 2021")]),  # exactly five years before TODAY
        # Phone numbers.
        ("call 07911 123456 today", [("phone_number", "07911 123456")]),
        ("call 07911123456 today", [("phone_number", "07911123456")]),
        ("call +44 7911 123456 today", [("phone_number", "+44 7911 123456")]),
        ("call +447911123456 today", [("phone_number", "+447911123456")]),
        ("call 0044 7911 123456 today", [("phone_number", "0044 7911 123456")]),
        ("call 020 7946 0018 today", [("phone_number", "020 7946 0018")]),
        ("call (020) 7946 0018 today", [("phone_number", "(020) 7946 0018")]),
        ("call +44 (0)20 7946 0018 today", [("phone_number", "+44 (0)20 7946 0018")]),
        ("call (0161) 496 0000 today", [("phone_number", "(0161) 496 0000")]),
        ("call 0117-496-0000 today", [("phone_number", "0117-496-0000")]),
        ("call 0800 123 4567 today", [("phone_number", "0800 123 4567")]),
        # E-mail addresses.
        ("write to jane.doe@example.nhs.uk.", [("email", "jane.doe@example.nhs.uk")]),
        ("write to O'Neill+ward7@trust.example.org", [("email", "O'Neill+ward7@trust.example.org")]),
        ("<a href='mailto:a.b@c.example.com'>", [("email", "a.b@c.example.com")]),
        ("(JANE@EXAMPLE.COM)", [("email", "JANE@EXAMPLE.COM")]),
        # Full postcodes in every outward shape, any case or spacing.
        ("lives at SW1A 2AA now", [("postcode", "SW1A 2AA")]),
        ("lives at m1 1ae now", [("postcode", "m1 1ae")]),
        ("lives at B33 8TH now", [("postcode", "B33 8TH")]),
        ("lives at W1A 0AX now", [("postcode", "W1A 0AX")]),
        ("lives at CR2 6XH now", [("postcode", "CR2 6XH")]),
        ("lives at DN55 1PT now", [("postcode", "DN55 1PT")]),
        ("lives at EC1A1BB now", [("postcode", "EC1A1BB")]),
        ("lives at GIR 0AA now", [("postcode", "GIR 0AA")]),
        ("lives at (ls1 4ap).", [("postcode", "ls1 4ap")]),
        # Titles followed by names.
        ("I met Mrs Patel today", [("titled_name", "Mrs Patel")]),
        ("I met Dr. O'Neill today", [("titled_name", "Dr. O'Neill")]),
        ("I met Mr J Smith today", [("titled_name", "Mr J Smith")]),
        ("I met Mr J. Smith-Jones today", [("titled_name", "Mr J. Smith-Jones")]),
        ("I met Ms Okafor.", [("titled_name", "Ms Okafor")]),
        ("I met Miss Hughes", [("titled_name", "Miss Hughes")]),
        ("I met Mx Rivers", [("titled_name", "Mx Rivers")]),
        ("I met Prof Adeyemi", [("titled_name", "Prof Adeyemi")]),
        ("I met Prof. Adeyemi", [("titled_name", "Prof. Adeyemi")]),
        ("I met Professor Chen", [("titled_name", "Professor Chen")]),
        ("I met Sir Keir", [("titled_name", "Sir Keir")]),
        ("I met Dame Judi", [("titled_name", "Dame Judi")]),
        ("I met Lord Patel", [("titled_name", "Lord Patel")]),
        ("I met Lady Hale", [("titled_name", "Lady Hale")]),
        ("I met Master Ali", [("titled_name", "Master Ali")]),
        ("I met MRS PATEL", [("titled_name", "MRS PATEL")]),
        ("Mrs Zoë Ó Briain came", [("titled_name", "Mrs Zoë Ó Briain")]),
        ("Mrs Patel's daughter", [("titled_name", "Mrs Patel")]),
        ("Mrs Patel's GP rang", [("titled_name", "Mrs Patel")]),
        ("Dr O’Neill’s Team", [("titled_name", "Dr O’Neill")]),
        ("Mr Mr Jones", [("titled_name", "Mr Jones")]),
    ],
)
def test_personal_data_find_true_positive_finds_it(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "NHS number 943 476 5918 on the form",  # wrong check digit
        "NHS number 9434765918",
        "1234567890",  # check digit would be 10: never issued
        "943 476-5919",  # mixed separators
        "ref 19434765919",  # part of a longer run of digits
        "ref 123456789",  # nine digits
        "I met the Dr on the ward",
        "The Dr. was busy",
        "We spoke to Mr",
        "I miss London",
        "Dr. 10 had said so",
        "the visit on 8 June 2026 went well",  # last week
        "the visit on 08/06/2026 went well",
        "the visit on 2026-06-08 went well",
        "the visit on 8/6/26 went well",  # two-digit year, no cue
        "opened 16 June 2021",  # a day short of five years
        "born 31/02/1985",  # impossible
        "born 29/02/1985",
        "DOB 2025-13-01",
        "on 12/03/1850",  # history, not a birth
        "version 1.2.2019.4",
        "12/03/1985/2",
        "in March 1985",
        "the SW1A district",
        "SW1A 2A",
        "AB1 2CD",  # C is never in an inward code
        "Q1 1AA",
        "at 10:30 on Tuesday",
        "7 of 12 people, 2024 figures, 45% up",
        "call 07700 900 (drama range, incomplete)",
        "jane.doe at example dot com",
        "jane@localhost",
        "user@",
        "@handle",
    ],
)
def test_personal_data_find_true_negative_finds_nothing(text):
    assert found(text) == []


def test_personal_data_find_ordinary_debrief_prose_finds_nothing():
    prose = (
        "I spent the day with the discharge team on Ward 7 at the Royal Infirmary. The ward "
        "manager walked me through the morning huddle, where the team of 12 reviewed 23 patients "
        "awaiting discharge. Three were delayed by care packages; one by transport. The Dr on call "
        "joined at 10:30. Mr and Mrs are both used on the whiteboard, never with names, which "
        "struck me as good practice. Our team could adopt the 'red to green' board in B2 and the "
        "weekly call with social care (Tuesdays, 2pm). Follow up with the policy team by 30 June; "
        "costs were about £4,500 per bed-day saved in 2025-26. Version 3.2 of the guide is on "
        "GOV.UK. Visit date: 8 June 2026."
    )
    assert found(prose) == []


def test_personal_data_find_labels_name_each_kind():
    text = "Mrs Patel, NHS 943 476 5919, born 12/03/1985, 07911 123456, jane@example.com, SW1A 2AA"
    assert personal_data_find(text, today=TODAY) == [
        finding("titled_name", "Mrs Patel"),
        finding("nhs_number", "943 476 5919"),
        finding("date_of_birth", "12/03/1985"),
        finding("phone_number", "07911 123456"),
        finding("email", "jane@example.com"),
        finding("postcode", "SW1A 2AA"),
    ]


def test_personal_data_find_orders_by_appearance_and_reports_each_once():
    text = (
        "SW1A 2AA then Dr Smith and Mrs Patel; later Dr Smith again, SW1A 2AA again, "
        "sw1a 2aa in lower case, and 9434765919 twice: 9434765919."
    )
    assert found(text) == [
        ("postcode", "SW1A 2AA"),
        ("titled_name", "Dr Smith"),
        ("titled_name", "Mrs Patel"),
        ("postcode", "sw1a 2aa"),
        ("nhs_number", "9434765919"),
    ]


def test_personal_data_find_nhs_number_that_is_also_a_phone_number_is_an_nhs_number_only():
    # 016 977 2039 passes the modulus-11 check and is a valid Cumbrian landline.
    assert found("NHS 016 977 2039") == [("nhs_number", "016 977 2039")]
    assert found("call 01697 72039") == [("phone_number", "01697 72039")]


def test_personal_data_find_inside_an_email_address_is_the_address_only():
    assert found("mail sw1a2aa@example.com or 07911123456@sms.example.com") == [
        ("email", "sw1a2aa@example.com"),
        ("email", "07911123456@sms.example.com"),
    ]


def test_personal_data_find_without_today_uses_the_date_today():
    assert found("on 12/03/1985", today=None) == [("date_of_birth", "12/03/1985")]


def test_personal_data_find_two_digit_year_in_the_future_is_last_century():
    # On 15 June 2026, "30" can only be a birth in 1930; 29/02/30 would be impossible either way.
    assert found("DOB 01/01/30") == [("date_of_birth", "01/01/30")]
    assert found("DOB 29/02/30") == []


def test_personal_data_find_five_years_counts_from_today_on_29_february():
    leap_day = datetime.date(2028, 2, 29)
    assert found("on 28 February 2023", today=leap_day) == [("date_of_birth", "28 February 2023")]
    assert found("on 1 March 2023", today=leap_day) == []


def test_personal_data_find_several_titles_in_a_row_finds_each():
    assert found("Dr Smith and Mrs Patel met Mr Jones") == [
        ("titled_name", "Dr Smith"),
        ("titled_name", "Mrs Patel"),
        ("titled_name", "Mr Jones"),
    ]


@pytest.mark.parametrize("text", ["", None])
def test_personal_data_find_empty_text_finds_nothing(text):
    assert personal_data_find(text, today=TODAY) == []


@pytest.mark.parametrize(
    "piece",
    [
        "a",
        "1",
        "1.",
        "1 2 ",
        "12/",
        "12-03-",
        "a.b@",
        "a@a.",
        "@",
        "Mr  ",  # four characters, so the text does not end "Mr M"
        "Dr. ",
        "born ",
        "DOB 1 ",
        "1st of ",
        "SW1A ",
        "+44 ",
        " ",
        "\x00",
        "😀\x00<script>alert(1)</script>",
        "<b>x</b>",
    ],
)
def test_personal_data_find_hostile_input_finishes(piece):
    # Not timed: a pattern that backtracked catastrophically would not finish at all.
    text = (piece * (100_000 // len(piece) + 1))[:100_000]
    assert len(text) == 100_000
    assert personal_data_find(text, today=TODAY) == []


def test_personal_data_find_long_text_with_personal_data_finds_it():
    text = ("x" * 50_000) + " Mrs Patel \x00 943 476 5919 😀 " + ("y" * 50_000)
    assert found(text) == [("titled_name", "Mrs Patel"), ("nhs_number", "943 476 5919")]


def test_personal_data_find_in_fields_keeps_field_order_and_only_fields_with_findings():
    fields = {
        "what_went_well": "Mrs Patel showed me round.",
        "what_to_change": "Nothing to add.",
        "actions": "Ring 07911 123456, then write to jane@example.com.",
        "notes": "",
    }
    assert personal_data_find_in_fields(fields, today=TODAY) == {
        "what_went_well": [finding("titled_name", "Mrs Patel")],
        "actions": [finding("phone_number", "07911 123456"), finding("email", "jane@example.com")],
    }
    assert list(personal_data_find_in_fields(dict(reversed(fields.items())), today=TODAY)) == [
        "actions",
        "what_went_well",
    ]


def test_personal_data_find_in_fields_uses_today_for_every_field():
    fields = {"a": "on 1 June 2021", "b": "on 1 June 2021"}
    assert personal_data_find_in_fields(fields, today=TODAY) == {
        "a": [finding("date_of_birth", "1 June 2021")],
        "b": [finding("date_of_birth", "1 June 2021")],
    }
    assert personal_data_find_in_fields(fields, today=datetime.date(2026, 5, 31)) == {}


def test_personal_data_find_in_fields_nothing_found_is_empty():
    assert personal_data_find_in_fields({"a": "Fine.", "b": "All good."}, today=TODAY) == {}
    assert personal_data_find_in_fields({}, today=TODAY) == {}
