import os
import secrets
import subprocess
import sys
from pathlib import Path

import yaml

from audit.log import DEVELOPMENT_KEY

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "AUDIT_HMAC_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "psyplan.example.org",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "true",
    "EMAIL_URL": "smtp+tls://psyplan:not-a-password@smtp.example.org:587",
}


def _run_with_settings(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run `code` after django.setup() with only `env` configuring Django.

    A developer's .env (written by `make run`) is ignored, so these tests see
    what a fresh production host would.
    """
    prelude = (
        "import environ; environ.Env.read_env = staticmethod(lambda *a, **k: None); import django; django.setup(); "
    )
    # EMAIL_URL and the AUDIT_ settings too: the test settings set them in this process's environment.
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AUDIT_")) and k != "EMAIL_URL"}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(  # noqa: S603 - fixed interpreter and code
        [sys.executable, "-c", prelude + code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_missing_secret_key_is_a_startup_error():
    result = _run_with_settings("", env={})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_missing_audit_hmac_key_with_debug_off_is_a_startup_error():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "AUDIT_HMAC_KEY"}
    for unset in (env, env | {"AUDIT_HMAC_KEY": "  "}):
        result = _run_with_settings("", env=unset)
        assert result.returncode != 0
        assert "ImproperlyConfigured: Set AUDIT_HMAC_KEY" in result.stderr


def test_debug_alone_falls_back_to_a_public_development_audit_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "AUDIT_HMAC_KEY"} | {"DJANGO_DEBUG": "true"}
    result = _run_with_settings("from django.conf import settings as s; print(s.AUDIT_HMAC_KEY)", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == DEVELOPMENT_KEY


def test_audit_checkpoints_default_to_a_file_under_var():
    code = "from django.conf import settings as s; print(s.AUDIT_CHECKPOINT_PATH.relative_to(s.BASE_DIR))"
    result = _run_with_settings(code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "var/audit-checkpoints.jsonl"


def test_deploy_check_passes_with_production_settings():
    code = "from django.core.management import call_command; call_command('check', deploy=True, fail_level='WARNING')"
    result = _run_with_settings(code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_and_https_hardening_on_unless_set():
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS > 0)"
    )
    result = _run_with_settings(code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "True", "True"]


def test_docker_compose_defines_the_production_services():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", "web", "worker", "beat"}
    assert "gunicorn" in services["web"]["command"]
    assert "migrate" in services["web"]["command"]
    assert "healthcheck" in services["web"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert "deploy" not in services["beat"], "beat must stay a single instance"
    env = services["web"]["environment"]
    assert env["DATABASE_URL"].startswith("postgres://")
    assert env["CELERY_BROKER_URL"].startswith("redis://")
    assert set(compose["volumes"]) >= {"pgdata", "private-media"}


def test_env_example_documents_every_setting_the_readme_lists():
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    for name in [
        "DJANGO_SECRET_KEY",
        "DJANGO_DEBUG",
        "DJANGO_ALLOWED_HOSTS",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "EMAIL_URL",
        "SESSION_IDLE_TIMEOUT",
    ]:
        assert name in example
        assert name in readme
