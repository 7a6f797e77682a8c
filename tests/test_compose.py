import importlib
from pathlib import Path

import yaml

from tests.support import BASE_DIR

COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ["migrate", "web", "worker", "beat"]


def test_compose_has_the_production_shape():
    assert sorted(SERVICES) == ["beat", "db", "migrate", "redis", "web", "worker"]
    assert SERVICES["db"]["image"].startswith("postgres:")
    assert SERVICES["redis"]["image"].startswith("redis:")


def test_app_services_run_in_production_mode_against_the_compose_servers():
    for name in APP_SERVICES:
        env = SERVICES[name]["environment"]
        assert env["CONNECTING_ENV"] == "production", name
        assert importlib.util.find_spec(env["DJANGO_SETTINGS_MODULE"]) is not None
        assert "@db:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")  # no default secret


def test_web_command_points_at_the_real_wsgi_application():
    command = SERVICES["web"]["command"]
    assert command[0] == "gunicorn"
    module_name, attribute = command[1].split(":")
    assert callable(getattr(importlib.import_module(module_name), attribute))


def test_worker_and_beat_commands_point_at_the_real_celery_app():
    from connecting.celery import app

    for name, role in (("worker", "worker"), ("beat", "beat")):
        command = SERVICES[name]["command"]
        assert command[:4] == ["celery", "-A", "connecting", role], name
    assert importlib.import_module("connecting").celery_app is app
    assert "connecting.tasks.heartbeat_task" in app.tasks


def test_migrate_runs_before_web_worker_and_beat():
    assert SERVICES["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert (BASE_DIR / SERVICES["migrate"]["command"][1]).exists()
    for name in ("web", "worker", "beat"):
        assert SERVICES[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert SERVICES[name]["depends_on"]["db"] == {"condition": "service_healthy"}


def test_servers_and_processes_have_health_checks():
    assert {name for name, service in SERVICES.items() if "healthcheck" in service} == {
        "db",
        "redis",
        "web",
        "worker",
    }
    assert "/healthz" in " ".join(SERVICES["web"]["healthcheck"]["test"])


def test_image_builds_from_the_locked_files_that_exist():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    for needed in (
        "requirements.lock",
        "package-lock.json",
        "manage.py",
        "connecting",
        "templates",
        "static",
    ):
        assert needed in dockerfile
        assert Path(BASE_DIR / needed).exists()
    assert "collectstatic" in dockerfile
    assert "USER connecting" in dockerfile


def test_uploads_live_on_a_volume_shared_by_the_app_containers_outside_static_files():
    for name in APP_SERVICES:
        assert SERVICES[name]["environment"]["PRIVATE_MEDIA_ROOT"] == "/var/lib/connecting/private", name
        assert "private-media:/var/lib/connecting/private" in SERVICES[name]["volumes"], name
    assert "private-media" in COMPOSE["volumes"]
