"""A password-reset request takes the same path for every address: it queues a task through the
outbox, and only the task, after the answer, looks the account up."""

import logging
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext

from accounts.models import PasswordResetRequest
from core.models import OutboxMessage
from tests.factories import PASSWORD

RESET = "/accounts/password/reset/"
UNKNOWN = "nobody.here.4471@example.test"


def _request_reset(email, capture):
    web = WebClient()
    web.get(RESET)
    with capture(execute=False) as callbacks, CaptureQueriesContext(connection) as queries:
        response = web.post(RESET, {"email": email})
    # Savepoint names and the new rows' ids differ between two requests; nothing else may.
    return response, callbacks, [_normalise(q["sql"], email) for q in queries.captured_queries]


def _normalise(sql: str, email: str) -> str:
    sql = sql.replace(email, "<email>")
    sql = re.sub(r'"s\d+_x\d+"', "<savepoint>", sql)
    return re.sub(r"\b\d+\b", "<n>", sql)


def test_a_reset_request_takes_the_same_path_for_an_account_and_for_an_unknown_address(
    clinician, django_capture_on_commit_callbacks
):
    known, known_callbacks, known_sql = _request_reset(clinician.email, django_capture_on_commit_callbacks)
    unknown, unknown_callbacks, unknown_sql = _request_reset(UNKNOWN, django_capture_on_commit_callbacks)
    assert (
        (known.status_code, known.url) == (unknown.status_code, unknown.url) == (302, "/accounts/password/reset/sent/")
    )
    # The same statements, and none of them looks for the account: the task does, later.
    assert known_sql == unknown_sql
    assert not any("accounts_user" in sql for sql in known_sql)
    assert len(known_callbacks) == len(unknown_callbacks) == 1
    assert mail.outbox == []
    messages = list(OutboxMessage.objects.values_list("task", "args"))
    assert [task for task, _ in messages] == ["accounts.tasks.send_password_reset"] * 2
    # The queued work names a request by id, never the address.
    assert not any(clinician.email in str(args) or UNKNOWN in str(args) for _, args in messages)
    assert PasswordResetRequest.objects.count() == 2


def test_the_task_mails_a_working_link_to_the_account_and_nothing_for_an_unknown_address(
    clinician, client, django_capture_on_commit_callbacks
):
    for email in (UNKNOWN, clinician.email.upper()):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(RESET, {"email": email})
    assert [m.to for m in mail.outbox] == [[clinician.email]]
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert not PasswordResetRequest.objects.exists()  # the addresses are not kept
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", mail.outbox[0].body).group(0)
    form_url = client.get(urlsplit(link).path, follow=True).redirect_chain[-1][0]
    new = "a-fresh-long-passphrase-31"
    assert client.post(form_url, {"new_password1": new, "new_password2": new}).status_code == 302
    clinician.refresh_from_db()
    assert clinician.check_password(new) and not clinician.check_password(PASSWORD)


def test_no_mail_for_an_inactive_account(clinician, client, django_capture_on_commit_callbacks):
    clinician.is_active = False
    clinician.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(RESET, {"email": clinician.email}).status_code == 302
    assert mail.outbox == []


def test_an_unknown_address_appears_in_no_log_line(db, client, caplog, django_capture_on_commit_callbacks):
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        client.post(RESET, {"email": UNKNOWN})
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert UNKNOWN not in logged
    assert "nobody.here" not in logged


def test_a_malformed_address_is_a_form_error_and_queues_nothing(db, client):
    response = client.post(RESET, {"email": "not an address"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert not OutboxMessage.objects.exists()


@pytest.mark.celery_worker
def test_a_real_worker_sends_the_reset_mail_after_the_request_has_answered(
    celery_worker_app, transactional_db, practice
):
    from tests.conftest import wait_for
    from tests.factories import staff

    user = staff(practice, is_clinician=True)
    for email in (UNKNOWN, user.email):
        assert WebClient().post(RESET, {"email": email}).status_code == 302
    wait_for(lambda: not PasswordResetRequest.objects.exists())
    assert [m.to for m in mail.outbox] == [[user.email]]
