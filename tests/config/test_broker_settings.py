"""Redis redelivers a message a killed worker never acknowledged after the visibility timeout."""

from tests.config.test_settings import PRODUCTION_ENV, _run_with_settings

PRINT = "from django.conf import settings; print(settings.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'])"


def test_visibility_timeout_defaults_above_the_task_time_limits():
    result = _run_with_settings(PRINT, env=PRODUCTION_ENV | {"CELERY_BROKER_URL": "redis://127.0.0.1:6379/3"})
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == 600
    assert int(result.stdout) > 180  # CELERY_TASK_TIME_LIMIT, the longest hard limit


def test_visibility_timeout_is_configurable():
    env = PRODUCTION_ENV | {"CELERY_BROKER_URL": "redis://127.0.0.1:6379/3", "CELERY_VISIBILITY_TIMEOUT": "15"}
    result = _run_with_settings(PRINT, env=env)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == 15
