"""A session that ends by itself is a sign-out in the access log, with its reason, like any other."""

import datetime as dt

import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client as WebClient

from accounts.tasks import clear_expired_sessions
from audit.models import AccessLog
from tests.factories import PASSWORD

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
LOGIN = "/accounts/login/"


def _sign_in(user) -> WebClient:
    web = WebClient(REMOTE_ADDR="192.0.2.50")
    assert web.post(LOGIN, {"username": user.email, "password": PASSWORD}).status_code == 302
    assert web.get("/").status_code == 200
    return web


def test_an_idle_sign_out_writes_the_same_entry_as_a_sign_out_with_its_reason(clinician):
    with time_machine.travel(START, tick=False) as clock:
        web = _sign_in(clinician)
        clock.shift(settings.SESSION_IDLE_TIMEOUT + 1)
        response = web.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    assert "signed out after a period without activity" in response.content.decode()
    entry = AccessLog.objects.get(action="logout")
    assert (entry.actor, entry.outcome, entry.detail, entry.ip) == (clinician, "ok", "idle timeout", "192.0.2.50")
    assert web.get("/").status_code == 302


def test_the_idle_entry_matches_the_entry_of_a_sign_out(clinician, colleague):
    with time_machine.travel(START, tick=False) as clock:
        _sign_in(colleague).post("/accounts/logout/")
        web = _sign_in(clinician)
        clock.shift(settings.SESSION_IDLE_TIMEOUT + 1)
        web.get("/")
    signed_out, idle = AccessLog.objects.filter(action="logout").order_by("pk")
    fields = ["action", "outcome", "object_type", "object_id", "client_id", "practice_id", "ip"]
    assert [getattr(signed_out, f) for f in fields] == [getattr(idle, f) for f in fields]
    assert (signed_out.detail, idle.detail) == ("signed out", "idle timeout")


def test_a_session_nobody_comes_back_to_is_signed_out_in_the_log_by_the_hourly_sweep(clinician, colleague):
    with time_machine.travel(START, tick=False) as clock:
        _sign_in(clinician)
        WebClient().get(LOGIN)  # an anonymous visitor's session, too
        clock.shift(settings.SESSION_IDLE_TIMEOUT + settings.SESSION_IDLE_GRACE + 1)
        fresh = _sign_in(colleague)  # still active: the sweep leaves it alone
        clear_expired_sessions()
        clear_expired_sessions()  # a second run writes nothing more
        assert fresh.get("/").status_code == 200
    entry = AccessLog.objects.get(action="logout")
    assert entry.actor == clinician
    assert entry.detail == "idle timeout (session expired unattended; last activity 2026-11-02 09:00 UTC)"
    assert Session.objects.count() == 1


def test_a_session_past_its_absolute_lifetime_is_logged_with_that_reason_by_the_sweep(clinician, monkeypatch):
    monkeypatch.setattr(settings, "SESSION_ABSOLUTE_LIFETIME", settings.SESSION_IDLE_TIMEOUT)
    with time_machine.travel(START, tick=False) as clock:
        web = _sign_in(clinician)
        clock.shift(settings.SESSION_IDLE_TIMEOUT - 10)
        web.get("/")  # activity: the idle clock restarts, the absolute one runs on
        clock.shift(settings.SESSION_IDLE_TIMEOUT + settings.SESSION_IDLE_GRACE)
        clear_expired_sessions()
    assert AccessLog.objects.get(action="logout").detail.startswith("absolute lifetime reached (")


def test_a_session_that_was_signed_out_is_not_logged_again_by_the_sweep(clinician):
    with time_machine.travel(START, tick=False) as clock:
        web = _sign_in(clinician)
        clock.shift(settings.SESSION_IDLE_TIMEOUT + 1)
        web.get("/")
        clock.shift(settings.SESSION_IDLE_GRACE * 2)
        clear_expired_sessions()
    assert AccessLog.objects.filter(action="logout").count() == 1
