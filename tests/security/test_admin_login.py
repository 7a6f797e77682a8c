"""Sign-in rate limits, counted in the real Redis: the portal's log-in and password reset, and the
Django admin's log-in, which is sent through the portal's so the same limits (and MFA) hold."""

import uuid

import pytest
from django.core.cache import caches
from django.test import Client, override_settings
from django.urls import reverse

from tests.factories import TEST_PASSWORD, ParticipantFactory, ProgrammeTeamFactory, totp_code_for

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")
ADMIN = "/django-admin/"
ADMIN_LOGIN = "/django-admin/login/"
TOO_MANY = ["Too many failed login attempts. Try again later."]


@pytest.fixture
def redis_cache(redis_url):
    """The Redis cache backend on the test Redis, under a key prefix of this test's own."""
    prefix = f"test-ratelimit-{uuid.uuid4().hex[:12]}"
    config = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": prefix,
        }
    }
    with override_settings(CACHES=config):
        cache = caches["default"]
        redis = cache._cache.get_client(write=True)
        # What the limits wrote, without this test's prefix and the cache version.
        yield lambda: sorted(k.decode().removeprefix(f"{prefix}:1:") for k in redis.scan_iter(f"{prefix}:*"))
        keys = list(redis.scan_iter(f"{prefix}:*"))
        if keys:
            redis.delete(*keys)


def _per_address_limits(keys: list[str]) -> list[str]:
    """The counters allauth keeps per e-mail address, without the address's hash at the end."""
    return [k.rsplit(":", 1)[0] for k in keys if "/key:" in k]


def _fail_login(client, email: str, times: int, *, next_url: str = "") -> None:
    url = f"{LOGIN}?next={next_url}" if next_url else LOGIN
    for _ in range(times):
        response = client.post(url, {"login": email, "password": "wrong-guess"})
        assert response.context["form"].non_field_errors() in (
            ["Enter a correct e-mail address and password"],
            TOO_MANY,
        )


@pytest.mark.redis
def test_login_failures_are_limited_in_redis_even_for_a_fresh_browser(redis_cache):
    ParticipantFactory(email="aisha@dhsc.gov.uk")
    _fail_login(Client(), "aisha@dhsc.gov.uk", 5)

    response = Client().post(LOGIN, {"login": "aisha@dhsc.gov.uk", "password": TEST_PASSWORD})

    assert response.context["form"].non_field_errors() == TOO_MANY
    assert "_auth_user_id" not in response.client.session
    assert _per_address_limits(redis_cache()) == ["allauth:rl:allauth.account:login_failed:5/300.0/key"]


@pytest.mark.redis
def test_login_failures_under_the_limit_do_not_lock_the_person_out(redis_cache):
    ParticipantFactory(email="aisha@dhsc.gov.uk")
    _fail_login(Client(), "aisha@dhsc.gov.uk", 4)

    response = Client().post(LOGIN, {"login": "aisha@dhsc.gov.uk", "password": TEST_PASSWORD})

    assert response["Location"] == reverse("accounts:participant_home")


@pytest.mark.redis
def test_password_reset_requests_are_limited_in_redis(client, redis_cache):
    ParticipantFactory(email="aisha@dhsc.gov.uk")
    answers = [
        client.post(reverse("account_reset_password"), {"email": "aisha@dhsc.gov.uk"}).status_code
        for _ in range(6)
    ]

    assert answers == [302, 302, 302, 302, 302, 429]
    limited = client.post(reverse("account_reset_password"), {"email": "aisha@dhsc.gov.uk"})
    assert "Too many attempts" in limited.content.decode()
    assert _per_address_limits(redis_cache()) == ["allauth:rl:allauth.account:reset_password:5/60/key"]


def test_the_admin_log_in_page_sends_visitors_to_the_portal_sign_in(client):
    response = client.get(ADMIN)

    assert response["Location"] == f"{ADMIN_LOGIN}?next={ADMIN}"
    login = client.get(response["Location"])
    assert login["Location"] == f"{LOGIN}?next=%2Fdjango-admin%2F"


def test_posting_credentials_to_the_admin_log_in_never_signs_anyone_in(client):
    member = ProgrammeTeamFactory(is_staff=True)

    response = client.post(ADMIN_LOGIN, {"username": member.email, "password": TEST_PASSWORD})

    assert (response.status_code, response["Location"]) == (302, f"{LOGIN}?next=%2Fdjango-admin%2Flogin%2F")
    assert "_auth_user_id" not in client.session


@pytest.mark.redis
def test_repeated_bad_admin_log_ins_are_limited(client, redis_cache):
    member = ProgrammeTeamFactory(is_staff=True)
    for _ in range(3):
        client.post(ADMIN_LOGIN, {"username": member.email, "password": "wrong-guess"})
    _fail_login(client, member.email, 5, next_url=ADMIN)

    response = client.post(f"{LOGIN}?next={ADMIN}", {"login": member.email, "password": TEST_PASSWORD})

    assert response.context["form"].non_field_errors() == TOO_MANY
    assert client.get(ADMIN)["Location"] == f"{ADMIN_LOGIN}?next={ADMIN}"


def test_the_admin_needs_the_password_and_the_authenticator_then_is_staff_only(client):
    member = ProgrammeTeamFactory(is_staff=True)

    first = client.post(f"{LOGIN}?next={ADMIN}", {"login": member.email, "password": TEST_PASSWORD})
    assert first["Location"] == reverse("mfa_authenticate")
    assert client.get(ADMIN).status_code == 302
    client.post(reverse("mfa_authenticate"), {"code": totp_code_for(member)})

    assert client.get(ADMIN).status_code == 200


def test_a_signed_in_person_who_is_not_staff_is_refused_the_admin(client):
    client.force_login(ParticipantFactory())

    assert client.get(ADMIN_LOGIN).status_code == 403
    assert client.get(ADMIN)["Location"] == f"{ADMIN_LOGIN}?next={ADMIN}"


def test_staff_without_an_authenticator_are_sent_to_set_one_up_before_the_admin(client):
    staff = ParticipantFactory(is_staff=True)  # staff whatever their role: the admin sees everything
    client.force_login(staff)

    for url in (ADMIN, f"{ADMIN}accounts/user/", reverse("accounts:participant_home")):
        response = client.get(url)
        assert (url, response.status_code, response["Location"]) == (url, 302, reverse("mfa_activate_totp"))
