"""Client links sent by text message: the SMS backend (core/sms.py), the sending task, consent."""

import logging
import re

import pytest
from django.core.exceptions import ValidationError

from core import sms
from core.models import OutboxMessage
from participation import services
from participation.forms import LinkCreateForm
from participation.models import ClientLink
from participation.tasks import send_client_link_sms

MOBILE = "+44 7700 900123"


@pytest.fixture
def texting_client(consenting_client):
    consenting_client.phone = MOBILE
    consenting_client.save()
    return consenting_client


def _texted(make_link, client, capture):
    with capture(execute=True):
        link, unsent = make_link(client, delivery=ClientLink.Delivery.SMS)
    return link, unsent


def test_the_text_says_only_the_practice_and_a_link_that_opens(
    web, texting_client, make_link, django_capture_on_commit_callbacks
):
    link, unsent_path = _texted(make_link, texting_client, django_capture_on_commit_callbacks)
    (text,) = sms.outbox
    assert text.to == MOBILE
    (url,) = re.findall(r"https?://\S+", text.body)
    assert text.body == f"{texting_client.practice.name}: {url}"
    path = "/" + url.split("/", 3)[3]
    assert services.find_link(path.strip("/").split("/")[-1]) == link
    # The token create_link returned was replaced when the text was sent.
    assert services.find_link(unsent_path.strip("/").split("/")[-1]) is None
    assert web.get(path).status_code == 200
    link.refresh_from_db()
    assert link.sent_at is not None


def test_sending_twice_sends_one_text_and_the_token_is_never_in_the_outbox(
    texting_client, make_link, django_capture_on_commit_callbacks
):
    link, _ = _texted(make_link, texting_client, django_capture_on_commit_callbacks)
    send_client_link_sms(link.pk)
    assert len(sms.outbox) == 1
    token = sms.outbox[0].body.rstrip("/").split("/")[-1]
    (message,) = OutboxMessage.objects.filter(task="participation.tasks.send_client_link_sms")
    assert message.args == [link.pk] and message.kwargs == {}
    assert not any(token in str(m.args) + str(m.kwargs) for m in OutboxMessage.objects.all())


def test_without_consent_no_text_is_sent_and_no_link_is_made(
    texting_client, make_link, django_capture_on_commit_callbacks
):
    texting_client.contact_consent_on = None
    texting_client.save()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as refused:
        make_link(texting_client, delivery=ClientLink.Delivery.SMS)
    assert "consented" in " ".join(refused.value.message_dict["delivery"])
    assert not sms.outbox and not ClientLink.objects.exists()


def test_without_a_mobile_number_the_delivery_is_refused(consenting_client, make_link):
    with pytest.raises(ValidationError) as refused:
        make_link(consenting_client, delivery=ClientLink.Delivery.SMS)
    assert "mobile number" in " ".join(refused.value.message_dict["delivery"])


def test_consent_withdrawn_before_the_task_runs_stops_the_text(texting_client, make_link):
    link, _ = make_link(texting_client, delivery=ClientLink.Delivery.SMS)  # on_commit not run
    texting_client.contact_consent_on = None
    texting_client.save()
    send_client_link_sms(link.pk)
    assert not sms.outbox


def test_a_link_revoked_before_the_task_runs_is_not_texted(texting_client, make_link, clinician):
    link, _ = make_link(texting_client, delivery=ClientLink.Delivery.SMS)
    services.revoke_link(actor=clinician, link=link)
    send_client_link_sms(link.pk)
    assert not sms.outbox


def test_a_link_waiting_to_be_texted_when_texts_are_turned_off_stays_unsent(texting_client, make_link, settings):
    link, _ = make_link(texting_client, delivery=ClientLink.Delivery.SMS)
    settings.SMS_BACKEND = "disabled"
    send_client_link_sms(link.pk)
    link.refresh_from_db()
    assert link.sent_at is None and not sms.outbox


def test_with_texts_disabled_the_choice_is_refused_and_not_offered(texting_client, make_link, settings):
    settings.SMS_BACKEND = "disabled"
    with pytest.raises(ValidationError, match="not set up"):
        make_link(texting_client, delivery=ClientLink.Delivery.SMS)
    assert ClientLink.Delivery.SMS not in dict(LinkCreateForm().fields["delivery"].choices)
    settings.SMS_BACKEND = "locmem"
    assert ClientLink.Delivery.SMS in dict(LinkCreateForm().fields["delivery"].choices)


def test_the_log_says_a_text_was_sent_but_never_the_number_or_the_link(
    texting_client, make_link, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.DEBUG)
    _texted(make_link, texting_client, django_capture_on_commit_callbacks)
    assert "text message sent" in caplog.text
    assert MOBILE not in caplog.text and "/c/" not in caplog.text


def test_the_console_backend_prints_the_text_but_logs_no_number(settings, capsys, caplog):
    settings.SMS_BACKEND = "console"
    caplog.set_level(logging.DEBUG)
    sms.send_sms(MOBILE, "Home Practice: https://example.org/c/x/")
    assert "Home Practice: https://example.org/c/x/" in capsys.readouterr().out
    assert MOBILE not in caplog.text


def test_the_staff_form_sends_by_text_and_says_so(login, clinician, texting_client, django_capture_on_commit_callbacks):
    web = login(clinician)
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(
            f"/clients/{texting_client.pk}/links/new/", {"measure_codes": ["phq9"], "delivery": "sms"}, follow=True
        )
    assert "on its way to the client&#x27;s mobile number" in response.content.decode()
    assert len(sms.outbox) == 1


def test_the_sms_backend_setting_is_strict():
    from tests.config.test_settings import PRODUCTION_ENV, _run_with_settings

    result = _run_with_settings("", env=PRODUCTION_ENV | {"SMS_BACKEND": "carrier-pigeon"})
    assert result.returncode != 0 and "SMS_BACKEND must be" in result.stderr
    result = _run_with_settings("from django.conf import settings as s; print(s.SMS_BACKEND)", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "disabled"
