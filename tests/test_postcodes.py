"""UK postcodes: normalising, validating, the form field, and district-to-district distances (offline)."""

import math

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.migrations.writer import MigrationWriter

from connecting.postcodes import (
    PostcodeField,
    _district_centroids,
    _national_grid_to_airy,
    _osgb36_grid_to_wgs84,
    postcode_area,
    postcode_distance_km,
    postcode_district,
    postcode_normalise,
    validate_postcode,
)

MESSAGE = "Enter a real postcode, like SW1A 2AA"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("M1 1AE", "M1 1AE"),  # A9 9AA
        ("B33 8TH", "B33 8TH"),  # A99 9AA
        ("W1A 0AX", "W1A 0AX"),  # A9A 9AA
        ("CR2 6XH", "CR2 6XH"),  # AA9 9AA
        ("DN55 1PT", "DN55 1PT"),  # AA99 9AA
        ("EC1A 1BB", "EC1A 1BB"),  # AA9A 9AA
        ("GIR 0AA", "GIR 0AA"),
        (" sw1a2aa ", "SW1A 2AA"),
        ("sw1a 2aa", "SW1A 2AA"),
        ("SW1A  2AA", "SW1A 2AA"),
        ("S W 1 A 2 A A", "SW1A 2AA"),
        ("SW1A\t2AA", "SW1A 2AA"),
        ("SW1A\u00a02AA", "SW1A 2AA"),
        ("\nm11ae\n", "M1 1AE"),
        ("gir0aa", "GIR 0AA"),
        ("N1C 4AG", "N1C 4AG"),
        ("NW1W 7JY", "NW1W 7JY"),
    ],
)
def test_postcode_normalise_valid_formats_returns_canonical_form(value, expected):
    assert postcode_normalise(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        " ",
        "SW1A",
        "2AA",
        "SW1A 2A",
        "SW1A 2AAA",
        "SW1AA 2AA",
        "12345",
        "ABCDE",
        "1W1A 2AA",
        "QA1 1AA",  # no Q, V or X first
        "VA1 1AA",
        "XM4 5HQ",
        "AJ1 1AA",  # no I, J or Z second
        "AZ1 1AA",
        "W1I 1AA",  # third-place letter not in the standard's list
        "EC1C 1BB",  # fourth-place letter not in the standard's list
        "SW1A 2CA",  # no C, I, K, M, O or V in the inward code
        "SW1A 2AV",
        "SW1A 22A",
        "GIR 0AB",
        "SW1A-2AA",
        "SW1A\n2AA",
        "SW1A 2AA.",
        "\x00",
        "SW1A\x002AA",
        "SW1A 2AA\x00",
        "<script>alert(1)</script>",
        "<b>SW1A 2AA</b>",
        "'; DROP TABLE accounts_user; --",
        "x" * 10_000,
        "SW1A" + " " * 13 + "2AA",
        "\uff33\uff37\uff11\uff21 \uff12\uff21\uff21",  # full-width SW1A 2AA
        "M1 1\ufb00",  # "ﬀ" upper-cases to "FF"
        "\u202eSW1A 2AA",
        "😀",
        None,
        12345,
        b"SW1A 2AA",
    ],
)
def test_postcode_normalise_invalid_values_raise_real_postcode_message(value):
    with pytest.raises(ValidationError) as raised:
        postcode_normalise(value)

    assert raised.value.messages == [MESSAGE]
    assert raised.value.code == "invalid"


@pytest.mark.parametrize(
    ("value", "district", "area"),
    [
        ("sw1a 2aa", "SW1A", "SW"),
        ("M1 1AE", "M1", "M"),
        ("B33 8TH", "B33", "B"),
        ("W1A 0AX", "W1A", "W"),
        ("CR2 6XH", "CR2", "CR"),
        ("DN55 1PT", "DN55", "DN"),
        ("EC1A 1BB", "EC1A", "EC"),
        ("GIR 0AA", "GIR", "GIR"),
    ],
)
def test_postcode_district_and_area_valid_postcode_returns_outward_code_and_letters(value, district, area):
    assert (postcode_district(value), postcode_area(value)) == (district, area)


@pytest.mark.parametrize("function", [postcode_district, postcode_area, validate_postcode])
def test_postcode_helpers_invalid_postcode_raise_real_postcode_message(function):
    with pytest.raises(ValidationError) as raised:
        function("SW1A")

    assert raised.value.messages == [MESSAGE]


def test_validate_postcode_valid_postcode_in_any_spacing_returns_none():
    assert [validate_postcode(value) for value in ("SW1A 2AA", "sw1a2aa")] == [None, None]


def test_validate_postcode_on_model_field_rejects_junk():
    field = models.CharField(max_length=8, validators=[validate_postcode])

    with pytest.raises(ValidationError) as raised:
        field.run_validators("<script>")

    assert raised.value.messages == [MESSAGE]


def test_validate_postcode_serialises_into_migrations_by_reference():
    assert MigrationWriter.serialize(validate_postcode) == (
        "connecting.postcodes.validate_postcode",
        {"import connecting.postcodes"},
    )


class AddressForm(forms.Form):
    postcode = PostcodeField()


def test_postcode_field_valid_postcode_cleans_to_canonical_form():
    form = AddressForm({"postcode": " sw1a2aa "})

    assert form.is_valid()
    assert form.cleaned_data == {"postcode": "SW1A 2AA"}


@pytest.mark.parametrize("value", ["SW1A", "\x00", "<script>alert(1)</script>", "x" * 10_000])
def test_postcode_field_invalid_postcode_shows_real_postcode_message(value):
    form = AddressForm({"postcode": value})

    assert not form.is_valid()
    assert form.errors == {"postcode": [MESSAGE]}


@pytest.mark.parametrize("value", ["", "   "])
def test_postcode_field_empty_says_enter_a_postcode(value):
    form = AddressForm({"postcode": value})

    assert not form.is_valid()
    assert form.errors == {"postcode": ["Enter a postcode"]}


def test_postcode_field_optional_and_empty_cleans_to_empty_string():
    assert PostcodeField(required=False).clean("  ") == ""


def test_postcode_field_defaults_label_length_and_autocomplete():
    field = PostcodeField()

    assert (field.label, field.max_length) == ("Postcode", 10)
    assert field.widget.attrs == {"autocomplete": "postal-code", "maxlength": "10"}


def test_postcode_field_keeps_an_autocomplete_the_widget_sets():
    field = PostcodeField(widget=forms.TextInput(attrs={"autocomplete": "off"}))

    assert field.widget.attrs == {"autocomplete": "off", "maxlength": "10"}


def test_national_grid_to_airy_matches_ordnance_survey_worked_example():
    # OS "A guide to coordinate systems in Great Britain", annex C: E 651409.903, N 313177.270
    # is 52° 39' 27.2531" N, 1° 43' 4.5177" E on OSGB36.
    latitude, longitude = _national_grid_to_airy(651409.903, 313177.270)

    assert math.degrees(latitude) == pytest.approx(52 + 39 / 60 + 27.2531 / 3600, abs=1e-7)
    assert math.degrees(longitude) == pytest.approx(1 + 43 / 60 + 4.5177 / 3600, abs=1e-7)


def test_osgb36_grid_to_wgs84_matches_proj_with_the_same_helmert_parameters():
    # PROJ 9 (pyproj 3.7.2), EPSG:27700 -> EPSG:4326, gives 51.5035397, -0.1276952 for SW1A 2AA's
    # grid reference; 1e-6 degrees is about 10 cm.
    assert _osgb36_grid_to_wgs84(530047, 179951) == pytest.approx((51.5035397, -0.1276952), abs=1e-6)


def test_district_table_covers_great_britain_only_and_loads_once():
    table = _district_centroids()

    assert table is _district_centroids()
    assert 2_800 < len(table) < 3_200  # 2,997 districts in the November 2025 NSPD
    assert [district for district in table if district.startswith(("BT", "JE", "GY", "IM"))] == []
    assert all(49.8 < lat < 60.9 and -8.7 < lon < 1.8 for lat, lon in table.values())


def test_postcode_distance_km_london_to_manchester_is_about_262():
    # SW1A's and M1's centroids are 261.8 km apart by haversine in the November 2025 data, 262.1 km
    # on the WGS84 ellipsoid, as is Trafalgar Square to Piccadilly Gardens. The band allows for
    # centroids moving as postcodes come and go between releases (well under 1 km each) and for
    # haversine's spherical Earth (under 0.5%, about 1.3 km here), and is far tighter than any
    # mistake in the maths would be (by road it is about 330 km).
    assert postcode_distance_km("SW1A 2AA", "M1 1AE") == pytest.approx(262, abs=5)


# Expected: the geodesic (WGS84 ellipsoid, PROJ's Geod) distance between the same district
# centroids, rounded; haversine's sphere differs from it by under 0.2% at these ranges.
@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        ("EH1 1YZ", "SW1A 2AA", 535),  # Edinburgh to Westminster
        ("CF10 1EP", "BS1 4DJ", 41),  # Cardiff to Bristol
        ("ZE1 0AA", "TR21 0HE", 1_180),  # Lerwick to the Isles of Scilly, about as far apart as GB gets
    ],
)
def test_postcode_distance_km_known_pairs_within_five_km(a, b, km):
    assert postcode_distance_km(a, b) == pytest.approx(km, abs=5)


def test_postcode_distance_km_either_order_is_the_same():
    assert postcode_distance_km("sw1a2aa", "M1 1AE") == postcode_distance_km("M1 1AE", "SW1A 2AA")


def test_postcode_distance_km_same_district_is_zero():
    assert postcode_distance_km("SW1A 2AA", "sw1a 1aa") == 0.0


@pytest.mark.parametrize(
    "postcode",
    [
        "YY1 1AA",  # a valid shape, but no such district
        "BT1 1AA",  # Northern Ireland: not OGL, so not in the table
        "JE2 3AB",  # Jersey: no grid references
        "IM1 1AD",  # Isle of Man: no grid references
        "GIR 0AA",  # non-geographic
    ],
)
def test_postcode_distance_km_unknown_district_returns_none(postcode):
    assert (postcode_distance_km(postcode, "SW1A 2AA"), postcode_distance_km("SW1A 2AA", postcode)) == (
        None,
        None,
    )


def test_postcode_distance_km_invalid_postcode_raises_real_postcode_message():
    with pytest.raises(ValidationError) as raised:
        postcode_distance_km("SW1A 2AA", "nowhere")

    assert raised.value.messages == [MESSAGE]
