"""Settings that would be unsafe in production stop the process at start-up with a clear message."""

import pytest

from tests.config.test_settings import PRODUCTION_ENV, _run_with_settings


@pytest.mark.parametrize("empty", ["", "   "])
def test_an_empty_secret_key_is_refused_at_start_up_like_an_unset_one(empty):
    result = _run_with_settings("", env={**PRODUCTION_ENV, "DJANGO_SECRET_KEY": empty})
    assert result.returncode != 0
    assert "ImproperlyConfigured: Set the DJANGO_SECRET_KEY environment variable: it is empty." in result.stderr


@pytest.mark.parametrize("email_url", [None, "consolemail://"])
def test_with_debug_off_the_console_mail_backend_is_refused_at_start_up(email_url):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "EMAIL_URL"}
    if email_url is not None:
        env["EMAIL_URL"] = email_url
    result = _run_with_settings("", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured: EMAIL_URL is unset or consolemail://" in result.stderr
    assert "password-reset and invitation links" in result.stderr


def test_with_debug_on_the_console_mail_backend_is_allowed_for_development():
    code = "from django.conf import settings as s; print(s.EMAIL_BACKEND)"
    result = _run_with_settings(code, env={"DJANGO_SECRET_KEY": "dev-only", "DJANGO_DEBUG": "true"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.mail.backends.console.EmailBackend"


def test_with_debug_off_a_real_mail_server_starts():
    code = "from django.conf import settings as s; print(s.EMAIL_BACKEND, s.EMAIL_HOST)"
    result = _run_with_settings(code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.core.mail.backends.smtp.EmailBackend", "smtp.example.org"]
