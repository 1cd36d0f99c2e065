"""The cast every access test uses.

In "Home Practice": a clinician who owns records, a colleague (another
clinician), a trainee who requires co-signature, a supervisor who supervises
the clinician and the trainee, and a practice admin. In "Elsewhere": an
outsider clinician who should have no access to anything above.
"""

import pytest

from accounts.auth import has_two_factor, two_factor_required
from tests.factories import PASSWORD, ClientFactory, PracticeFactory, SupervisionFactory, staff
from tests.two_factor import backup_code


@pytest.fixture(autouse=True)
def _no_acting_user():
    """client.login()/force_login() name an actor outside any request (the request middleware
    scopes it in real use); each test starts with nobody acting, as a fresh thread would."""
    from audit.history import reset_actor, set_actor

    token = set_actor(None)
    yield
    reset_actor(token)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache, as a fresh process would."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    """The texts of the locmem SMS backend (core/sms.py), emptied as Django empties mail.outbox."""
    from core import sms

    sms.outbox.clear()


@pytest.fixture
def practice(db):
    return PracticeFactory(name="Home Practice")


@pytest.fixture
def other_practice(db):
    return PracticeFactory(name="Elsewhere", timezone="Europe/Berlin")


@pytest.fixture
def clinician(practice):
    return staff(practice, is_clinician=True)


@pytest.fixture
def colleague(practice):
    return staff(practice, is_clinician=True)


@pytest.fixture
def trainee(practice):
    return staff(practice, is_clinician=True, requires_cosignature=True)


@pytest.fixture
def supervisor(practice, clinician, trainee):
    user = staff(practice, is_clinician=True, is_supervisor=True)
    SupervisionFactory(supervisor=user, supervisee=clinician)
    SupervisionFactory(supervisor=user, supervisee=trainee)
    return user


@pytest.fixture
def admin(practice):
    return staff(practice, is_practice_admin=True)


@pytest.fixture
def outsider(other_practice):
    return staff(other_practice, is_clinician=True)


@pytest.fixture
def own_client(clinician):
    return ClientFactory(primary_clinician=clinician)


@pytest.fixture
def login(client):
    """Sign a user in through the real login form and return the test client."""

    def _login(user):
        # The login page sends signed-in people away, so sign out whoever was here before.
        client.logout()
        response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.content
        if two_factor_required(user) or has_two_factor(user):
            # Admins (and staff of practices that require it) confirm with a second factor.
            response = client.post("/accounts/two-factor/verify/", {"token": backup_code(user)})
            assert response.status_code == 302, response.content
        return client

    return _login


@pytest.fixture
def celery_worker_app():
    """A real Celery worker consuming this run's queue on the configured broker.

    It runs in a thread of the test process (solo pool), so it shares the test
    database and the locmem mail outbox, but every task still crosses the broker.
    """
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10):
            yield app
    finally:
        app.conf.task_always_eager = True


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1):
    """Poll until `predicate()` is truthy; fail with a clear message after `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


CATALOGUE_MIGRATIONS = (
    "formulation.migrations.0003_builtin_catalogues",
    "plans.migrations.0002_builtin_catalogue_and_templates",
    "plans.migrations.0006_builtin_measures",
    "plans.migrations.0017_technique_descriptions",
    "plans.migrations.0018_template_interventions",
    "notes.migrations.0002_builtin_service_types",
)


@pytest.fixture(autouse=True)
def _catalogues_after_flush(request):
    """Transactional tests start from flushed tables; put the built-in catalogues back.

    The catalogues come from data migrations, whose functions are idempotent.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker and marker.kwargs.get("transaction")) or "transactional_db" in request.fixturenames
    if transactional:
        import importlib

        from django.apps import apps

        request.getfixturevalue("transactional_db")
        for module in CATALOGUE_MIGRATIONS:
            importlib.import_module(module).add(apps, None)


@pytest.fixture
def database_gone_after_commit():
    """A real outage right after a write commits, as when PostgreSQL restarts at that moment.

    `outage.after_commit_of(Model)`: once a transaction that saved a `Model` row commits, the
    database connection is closed and its address pointed nowhere, so everything after it in that
    request (the session save, above all) gets the driver's own OperationalError and the person a
    503. `outage.end()` brings the database back. Use with `django_db(transaction=True)`, where
    commits are real.
    """
    from types import SimpleNamespace

    from django.db import connection, transaction
    from django.db.models.signals import post_save

    saved = dict(connection.settings_dict)
    armed = []

    def _go_away():
        connection.close()
        if connection.vendor == "sqlite":
            connection.settings_dict["NAME"] = "/nonexistent-psyplan-outage/gone.sqlite3"
        else:
            connection.settings_dict.update({"HOST": "127.0.0.1", "PORT": "9"})

    def after_commit_of(model):
        def _saved(sender, **kwargs):
            post_save.disconnect(_saved, sender=model)
            transaction.on_commit(_go_away)

        post_save.connect(_saved, sender=model, weak=False)
        armed.append((_saved, model))

    def end():
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)

    yield SimpleNamespace(after_commit_of=after_commit_of, end=end)
    for receiver, model in armed:
        post_save.disconnect(receiver, sender=model)
    end()


@pytest.fixture
def api():
    """An API client signed in as the given user (or anonymous with None)."""
    from rest_framework.test import APIClient

    def _api(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return _api
