"""A database outage gives a clean 503 with a clear message, wherever it is raised; other errors stay 500."""

import json

import pytest
from django.conf import settings
from django.db import InterfaceError, OperationalError

from core.dbfailure import EVENT, MESSAGE
from plans.models import Goal
from tests.factories import make_plan

HX = {"HX-Request": "true"}


@pytest.fixture
def plan(own_client):
    return make_plan(own_client)


def _down(*args, **kwargs):
    raise OperationalError('connection failed: server closed the connection "SELECT secret"')


def test_database_error_in_a_view_is_a_503_page(clinician, login, plan, monkeypatch):
    web = login(clinician)
    monkeypatch.setattr("plans.editor.views.load_plan_page", _down)
    response = web.get(f"/plans/{plan.pk}/")
    assert response.status_code == 503
    assert MESSAGE in response.content.decode()
    assert response["Retry-After"] == "5"
    assert "no-store" in response["Cache-Control"]
    # Nothing of the failing SQL reaches the person.
    assert "SELECT" not in response.content.decode()


def test_database_error_in_an_htmx_save_keeps_the_page_and_says_why(clinician, login, plan, monkeypatch):
    web = login(clinician)
    monkeypatch.setattr("plans.editor.services.add_goal", _down)
    response = web.post(f"/plans/{plan.pk}/goal/add/", {"goal-new-statement": "Sleep through the night"}, headers=HX)
    assert response.status_code == 503
    assert response["HX-Reswap"] == "none"
    assert json.loads(response["HX-Trigger"]) == {EVENT: {"message": MESSAGE}}
    assert MESSAGE in response.content.decode()
    assert not Goal.objects.filter(statement="Sleep through the night").exists()


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_database_error_outside_a_view_is_a_503_too(clinician, login, plan, error, monkeypatch):
    """Loading the session happens in middleware, before any view: handler500 answers 503."""
    web = login(clinician)
    web.raise_request_exception = False

    def _session_down(self, *args, **kwargs):
        raise error("the connection is closed")

    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.load", _session_down)
    response = web.get(f"/plans/{plan.pk}/")
    assert response.status_code == 503
    assert MESSAGE in response.content.decode()
    htmx = web.post(f"/plans/{plan.pk}/goal/add/", {"goal-new-statement": "x"}, headers=HX)
    assert htmx.status_code == 503
    assert htmx["HX-Reswap"] == "none"


def test_database_gone_while_saving_the_session_is_a_503_not_a_400(clinician, login, plan, monkeypatch):
    """The edit may have been saved; the session save after it fails: Django calls that SessionInterrupted."""
    web = login(clinician)
    monkeypatch.setattr("django.contrib.sessions.models.Session.save", _down)
    response = web.post(f"/plans/{plan.pk}/goal/add/", {"goal-new-statement": "Saved before"}, headers=HX)
    assert response.status_code == 503
    assert response["HX-Reswap"] == "none"


def test_other_bad_requests_are_still_a_400(clinician, login):
    web = login(clinician)
    web.raise_request_exception = False
    too_many_fields = {f"f{i}": "x" for i in range(1001)}  # over DATA_UPLOAD_MAX_NUMBER_FIELDS
    response = web.post("/clients/", too_many_fields)
    assert response.status_code == 400
    assert MESSAGE not in response.content.decode()


def test_other_errors_are_still_a_500(clinician, login, plan, monkeypatch):
    web = login(clinician)
    web.raise_request_exception = False

    def _bug(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr("plans.editor.views.load_plan_page", _bug)
    response = web.get(f"/plans/{plan.pk}/")
    assert response.status_code == 500
    assert MESSAGE not in response.content.decode()


def test_the_api_gets_its_json_error_format(rf):
    from core.dbfailure import unavailable_response

    response = unavailable_response(rf.get("/api/v1/plans/"))
    assert response.status_code == 503
    assert json.loads(response.content) == {
        "status": 503,
        "code": "database_unavailable",
        "detail": MESSAGE,
        "fields": {},
    }


def test_kept_connections_are_health_checked():
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
