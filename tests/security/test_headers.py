"""Security headers on real responses, and templates the Content Security Policy would break."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import ParticipantFactory, ProgrammeTeamFactory

pytestmark = pytest.mark.django_db

EXPECTED_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "object-src": "'none'",
}
EXPECTED_HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": (
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
        "payment=(), usb=()"
    ),
}


def _policy(header: str) -> dict:
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def _page(client):
    return client.get(reverse("privacy"))


def _form_with_errors(client):
    ParticipantFactory(email="aisha@dhsc.gov.uk")
    return client.post(reverse("account_login"), {"login": "aisha@dhsc.gov.uk", "password": "wrong"})


def _download(client):
    client.force_login(ProgrammeTeamFactory())
    return client.get(reverse("review:export_debriefs"))


def _not_found(client):
    client.force_login(ParticipantFactory())
    return client.get("/no-such-page/")


def _static_file(client):
    return client.get("/static/js/js-enabled.js")


@pytest.mark.parametrize(
    ("request_made", "status", "content_type"),
    [
        (_page, 200, "text/html; charset=utf-8"),
        (_form_with_errors, 200, "text/html; charset=utf-8"),
        (_download, 200, "text/csv; charset=utf-8"),
        (_not_found, 404, "text/html; charset=utf-8"),
        (_static_file, 200, 'text/javascript; charset="utf-8"'),
    ],
    ids=["page", "form-with-errors", "download", "404", "static-file"],
)
def test_real_responses_carry_the_security_headers(client, request_made, status, content_type):
    response = request_made(client)

    assert (response.status_code, response["Content-Type"]) == (status, content_type)
    assert _policy(response["Content-Security-Policy"]) == EXPECTED_POLICY
    expected = dict(EXPECTED_HEADERS)
    if request_made is _static_file:
        # WhiteNoise answers before the clickjacking middleware; frame-ancestors 'none' covers it.
        expected["X-Frame-Options"] = None
    assert {name: response.get(name) for name in EXPECTED_HEADERS} == expected


def test_the_form_with_errors_really_shows_them(client):
    response = _form_with_errors(client)

    assert response.context["form"].non_field_errors() == ["Enter a correct e-mail address and password"]


def test_the_download_is_an_attachment(client):
    response = _download(client)

    assert response["Content-Disposition"] == 'attachment; filename="debriefs.csv"'


def test_the_gov_uk_js_enabled_class_comes_from_a_static_file(client):
    html = _page(client).content.decode()

    assert '<script src="/static/js/js-enabled.js"></script>' in html
    assert "js-enabled" in (Path(settings.BASE_DIR) / "static" / "js" / "js-enabled.js").read_text()


# What a policy without 'unsafe-inline' blocks. A JSON data block (allauth's recovery codes page)
# is not script: browsers never run it, and CSP does not apply to it.
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*\btype=\"application/json\")[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)
JAVASCRIPT_URL = re.compile(r"javascript:", re.I)


def _served_templates() -> list[Path]:
    """Every template under templates/ but e-mails, which are not served and may keep inline styles."""
    root = Path(settings.BASE_DIR) / "templates"
    return sorted(p for p in root.rglob("*") if p.is_file() and "email" not in p.relative_to(root).parts)


def test_no_served_template_has_inline_script_or_style():
    found = []
    templates = _served_templates()
    for path in templates:
        text = path.read_text()
        for name, pattern in (
            ("inline script", INLINE_SCRIPT),
            ("inline style", INLINE_STYLE),
            ("event handler attribute", EVENT_HANDLER),
            ("javascript: URL", JAVASCRIPT_URL),
        ):
            found += [
                (str(path.relative_to(settings.BASE_DIR)), name, m.group(0)) for m in pattern.finditer(text)
            ]

    assert len(templates) > 100
    assert found == []


@pytest.mark.parametrize(
    ("html", "caught"),
    [
        ("<script>alert(1)</script>", True),
        ('<script type="module">go()</script>', True),
        ('<script src="/static/js/a.js"></script>', False),
        ('<script data-x type="application/json">{}</script>', False),
        ('<div style="width: 3px">', True),
        ("<style>p {}</style>", True),
        ('<rect width="3" fill="#1d70b8">', False),
    ],
)
def test_the_template_scan_catches_what_the_policy_blocks(html, caught):
    assert bool(INLINE_SCRIPT.search(html) or INLINE_STYLE.search(html)) is caught
