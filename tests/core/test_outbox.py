"""The outbox keeps background work when the broker is down and publishes it once it is back."""

import time
from unittest import mock

from celery.app.task import Task
from django.core import mail
from kombu.exceptions import OperationalError

from core.models import OutboxMessage
from core.outbox import CIRCUIT_KEY, relay


def _invite(web, email):
    return web.post(
        "/accounts/staff/invite/",
        {"email": email, "given_name": "Out", "family_name": "Box", "is_clinician": "on"},
    )


def test_work_queued_while_the_broker_is_down_is_kept_and_sent_when_it_is_back(
    admin, login, django_capture_on_commit_callbacks
):
    web = login(admin)
    # The broker refusing connections, as kombu reports it; the unit under test is the outbox.
    with mock.patch.object(Task, "apply_async", side_effect=OperationalError("Connection refused")) as publish:
        with django_capture_on_commit_callbacks(execute=True):
            started = time.monotonic()
            response = _invite(web, "first@example.test")
            elapsed = time.monotonic() - started
        assert response.status_code == 302 and elapsed < 3
        with django_capture_on_commit_callbacks(execute=True):
            _invite(web, "second@example.test")
        # After the first failure the circuit is open: the second request does not even try.
        assert publish.call_count == 1
        page = web.get("/").content.decode()
        assert "Background services are unavailable" in page
    pending = OutboxMessage.objects.filter(sent_at__isnull=True)
    assert pending.count() == 2 and not mail.outbox

    sent, still_pending = relay()
    assert (sent, still_pending) == (2, 0)
    assert sorted(m.to[0] for m in mail.outbox) == ["first@example.test", "second@example.test"]


def test_relaying_twice_sends_nothing_twice(admin, login, django_capture_on_commit_callbacks):
    web = login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(web, "once@example.test")
    assert OutboxMessage.objects.get().sent_at is not None
    assert relay() == (0, 0)
    assert len(mail.outbox) == 1


def test_the_notice_goes_away_when_the_circuit_closes(admin, login):
    from django.core.cache import cache

    web = login(admin)
    cache.set(CIRCUIT_KEY, True, 30)
    assert "Background services are unavailable" in web.get("/").content.decode()
    cache.delete(CIRCUIT_KEY)
    assert "Background services are unavailable" not in web.get("/").content.decode()
