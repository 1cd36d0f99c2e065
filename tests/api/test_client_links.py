"""`/api/v1/client-links/` (participation/api/views.py) and the source of scores in `/api/v1/measures/`."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from audit.models import AccessLog
from core import sms
from core.models import IdempotencyRecord
from participation import services
from participation.models import ClientLink
from progress.models import MeasureScore
from tests.factories import ClientFactory, make_plan
from tests.participation.conftest import BIRTHDAY, answers, verify

pytestmark = pytest.mark.django_db

KEY = "5a0f4f7e-2f57-4a63-9c55-client-link"
URL = "/api/v1/client-links/"


@pytest.fixture
def consenting(own_client, clinician):
    own_client.date_of_birth = BIRTHDAY
    own_client.email = "client.api@example.org"
    own_client.phone = "+1 555 0142"
    own_client.contact_consent_on = dt.date(2026, 1, 5)
    own_client.contact_consent_recorded_by = clinician
    own_client.save()
    return own_client


def _create(caller, client, *, delivery="hand", codes=("phq9",), key=None, **extra):
    body = {"client": client.pk, "purpose": "questionnaires", "measure_codes": list(codes), "delivery": delivery}
    headers = {"Idempotency-Key": key} if key else {}
    return caller.post(URL, {**body, **extra}, format="json", headers=headers)


def test_a_hand_link_answers_with_its_absolute_url_once_and_the_url_opens_the_link(
    api, clinician, consenting, settings, client
):
    settings.SITE_URL = "https://psyplan.example.org/"
    response = _create(api(clinician), consenting)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["url"].startswith("https://psyplan.example.org/c/") and body["url_shown"] is True
    assert response["Cache-Control"] == "no-store" and response["ETag"]
    assert (body["client"], body["purpose"], body["measure_codes"], body["delivery"], body["status"]) == (
        consenting.pk,
        "questionnaires",
        ["phq9"],
        "hand",
        "open",
    )
    path = body["url"].removeprefix("https://psyplan.example.org")
    assert client.get(path).status_code == 200
    # Never again: not in the reading, nor in the list.
    caller = api(clinician)
    token = path.strip("/").split("/")[-1]
    for reading in (caller.get(f"{URL}{body['id']}/"), caller.get(URL)):
        assert reading.status_code == 200
        assert token not in reading.content.decode() and "/c/" not in reading.content.decode()
    assert "url" not in caller.get(f"{URL}{body['id']}/").json()


def test_a_replayed_create_neither_returns_nor_stores_the_url(api, clinician, consenting):
    caller = api(clinician)
    first = _create(caller, consenting, key=KEY)
    token = first.json()["url"].rstrip("/").split("/")[-1]
    replay = _create(caller, consenting, key=KEY)
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    replayed = replay.json()
    assert replayed["url"] is None and replayed["url_shown"] is False
    assert replayed["id"] == first.json()["id"] and ClientLink.objects.count() == 1
    (record,) = IdempotencyRecord.objects.all()
    stored = bytes(record.body).decode() + str(record.headers)
    assert token not in stored and "/c/" not in stored


def test_an_emailed_link_answers_without_a_url_and_is_sent_through_the_outbox(
    api, clinician, consenting, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _create(api(clinician), consenting, delivery="email")
    assert response.status_code == 201, response.content
    assert response.json()["url"] is None and response.json()["url_shown"] is False
    (email,) = mail.outbox
    assert email.to == [consenting.email]
    assert api(clinician).get(f"{URL}{response.json()['id']}/").json()["sent_at"] is not None


def test_a_texted_link_answers_without_a_url_and_the_text_carries_only_the_practice_and_the_link(
    api, clinician, consenting, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _create(api(clinician), consenting, delivery="sms")
    assert response.status_code == 201, response.content
    assert response.json()["url"] is None
    (text,) = sms.outbox
    assert text.to == consenting.phone
    assert text.body.startswith(f"{consenting.practice.name}: http")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"contact_consent_on": None}, "delivery", "consented"),
        ({"phone": ""}, "delivery", "mobile number"),
    ],
)
def test_a_text_without_consent_or_mobile_number_is_a_field_error_and_makes_no_link(
    api, clinician, consenting, change, field, message
):
    for name, value in change.items():
        setattr(consenting, name, value)
    consenting.save()
    response = _create(api(clinician), consenting, delivery="sms")
    assert response.status_code == 400
    assert message in " ".join(response.json()["fields"][field])
    assert not ClientLink.objects.exists() and not sms.outbox


@pytest.mark.parametrize(
    ("change", "message"), [({"contact_consent_on": None}, "consented"), ({"email": ""}, "no email address")]
)
def test_an_email_without_consent_or_address_is_a_field_error_and_makes_no_link(
    api, clinician, consenting, change, message
):
    for name, value in change.items():
        setattr(consenting, name, value)
    consenting.save()
    response = _create(api(clinician), consenting, delivery="email")
    assert response.status_code == 400
    assert message in " ".join(response.json()["fields"]["delivery"])
    assert not ClientLink.objects.exists() and not mail.outbox


def test_texts_are_refused_with_a_field_error_when_no_text_backend_is_set_up(api, clinician, consenting, settings):
    settings.SMS_BACKEND = "disabled"
    response = _create(api(clinician), consenting, delivery="sms")
    assert response.status_code == 400 and "not set up here" in " ".join(response.json()["fields"]["delivery"])
    assert not ClientLink.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"measure_codes": []}, "measure_codes"),
        ({"measure_codes": ["beck"]}, "measure_codes"),
        ({"delivery": "pigeon"}, "delivery"),
        ({"purpose": "gossip"}, "purpose"),
        ({"purpose": "agreement", "plan": None}, "plan"),
    ],
)
def test_bad_input_is_a_field_error_in_the_house_format(api, clinician, consenting, extra, field):
    response = _create(api(clinician), consenting, **extra)
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"status", "code", "detail", "fields"} and field in body["fields"]
    assert not ClientLink.objects.exists()


def test_an_agreement_link_names_one_of_the_clients_plans(api, clinician, consenting):
    from plans.lifecycle import transitions

    # An agreement is asked for a version in force: submitted by a qualified clinician, it is active.
    plan = transitions.submit_plan(actor=clinician, plan=make_plan(consenting))
    other_plan = make_plan(ClientFactory(primary_clinician=clinician))
    caller = api(clinician)
    refused = _create(caller, consenting, codes=(), purpose="agreement", plan=other_plan.pk)
    assert refused.status_code == 400 and "plan" in refused.json()["fields"]
    made = _create(caller, consenting, codes=(), purpose="agreement", plan=plan.pk)
    assert made.status_code == 201 and made.json()["plan"] == plan.pk and made.json()["measure_codes"] == []


def test_a_discharged_clients_record_takes_no_new_link(api, clinician, consenting):
    from clients.models import Client

    Client.objects.filter(pk=consenting.pk).update(status=Client.Status.DISCHARGED, discharged_on=dt.date(2026, 10, 1))
    response = _create(api(clinician), consenting)
    assert response.status_code == 400 and "discharged" in response.json()["detail"]


def test_revoke_ends_an_open_link_and_a_second_revoke_is_a_400(api, clinician, consenting, client):
    caller = api(clinician)
    made = _create(caller, consenting).json()
    path = "/" + made["url"].split("/", 3)[3]
    revoked = caller.post(f"{URL}{made['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert revoked["ETag"] == f'"client-link-{made["id"]}-revoked"'
    assert client.get(path).status_code == 410
    again = caller.post(f"{URL}{made['id']}/revoke/")
    assert again.status_code == 400 and "open" in again.json()["detail"]


def test_a_stale_if_match_on_revoke_is_a_412(api, clinician, consenting):
    caller = api(clinician)
    made = _create(caller, consenting)
    assert caller.post(f"{URL}{made.json()['id']}/revoke/", HTTP_IF_MATCH='"client-link-1-old"').status_code == 412
    assert caller.post(f"{URL}{made.json()['id']}/revoke/", HTTP_IF_MATCH=made["ETag"]).status_code == 200


def test_an_open_link_past_its_expiry_reads_as_expired(api, clinician, consenting):
    made = _create(api(clinician), consenting).json()
    with time_machine.travel(timezone.now() + dt.timedelta(days=30)):
        reading = api(clinician).get(f"{URL}{made['id']}/").json()
    assert reading["status"] == "expired"


def test_the_list_filters_by_client_and_never_carries_a_token(api, clinician, consenting):
    other = ClientFactory(primary_clinician=clinician)
    caller = api(clinician)
    mine = _create(caller, consenting).json()
    _create(caller, other)
    rows = caller.get(f"{URL}?client={consenting.pk}").json()["results"]
    assert [row["id"] for row in rows] == [mine["id"]]
    assert set(rows[0]) == {
        "id",
        "client",
        "purpose",
        "measure_codes",
        "plan",
        "delivery",
        "status",
        "expires_at",
        "created_at",
        "sent_at",
        "done_at",
    }
    stored_hash = ClientLink.objects.get(pk=mine["id"]).token_hash
    assert stored_hash not in caller.get(URL).content.decode()


def test_a_supervisor_reads_but_neither_makes_nor_revokes_a_supervisees_links(api, clinician, supervisor, consenting):
    made = _create(api(clinician), consenting).json()
    caller = api(supervisor)
    assert caller.get(f"{URL}{made['id']}/").status_code == 200
    assert _create(caller, consenting).status_code == 403
    assert caller.post(f"{URL}{made['id']}/revoke/").status_code == 403
    assert ClientLink.objects.count() == 1


def test_reading_a_link_through_the_api_is_in_the_access_log_with_its_client(api, clinician, consenting):
    made = _create(api(clinician), consenting).json()
    api(clinician).get(f"{URL}{made['id']}/")
    entry = AccessLog.objects.filter(action="read", object_type="client_link").get()
    assert (entry.object_id, entry.client_id) == (str(made["id"]), consenting.pk)


# --- Client-reported scores in /api/v1/measures/ -------------------------------------------------


def _client_reported(clinician, client, web):
    _, path = services.create_link(
        actor=clinician, client=client, purpose="questionnaires", delivery="hand", measure_codes=["gad7"]
    )
    verify(web, path)
    web.post(path + "answers/", answers("gad7", [1] * 7))
    return client.measure_scores.get(source=MeasureScore.Source.CLIENT)


def test_measures_carry_their_source_and_filter_by_it(api, clinician, consenting, client):
    reported = _client_reported(clinician, consenting, client)
    caller = api(clinician)
    entered = caller.post(
        "/api/v1/measures/",
        {"client": consenting.pk, "definition": reported.definition_id, "recorded_on": "2026-09-03", "items": [0] * 7},
        format="json",
    )
    assert entered.status_code == 201 and entered.json()["source"] == "clinician"
    assert [row["id"] for row in caller.get("/api/v1/measures/?source=client").json()["results"]] == [reported.pk]
    assert [row["id"] for row in caller.get("/api/v1/measures/?source=clinician").json()["results"]] == [
        entered.json()["id"]
    ]
    assert caller.get(f"/api/v1/measures/{reported.pk}/").json()["source"] == "client"


def test_a_score_sent_as_client_reported_through_the_api_is_recorded_as_the_clinicians(api, clinician, consenting):
    from plans.models import MeasureDefinition

    phq9 = MeasureDefinition.objects.get(code="phq9", practice=None)
    response = api(clinician).post(
        "/api/v1/measures/",
        {
            "client": consenting.pk,
            "definition": phq9.pk,
            "recorded_on": "2026-09-03",
            "items": [0] * 9,
            "source": "client",
        },
        format="json",
    )
    assert response.status_code == 201 and response.json()["source"] == "clinician"


def test_a_client_reported_score_cannot_be_changed_through_the_api(api, clinician, consenting, client):
    reported = _client_reported(clinician, consenting, client)
    caller = api(clinician)
    url = f"/api/v1/measures/{reported.pk}/"
    for response in (
        caller.patch(url, {"source": "clinician"}, format="json", HTTP_IF_MATCH="*"),
        caller.put(url, {"source": "clinician"}, format="json", HTTP_IF_MATCH="*"),
        caller.delete(url, HTTP_IF_MATCH="*"),
    ):
        assert response.status_code == 405
    reported.refresh_from_db()
    assert reported.source == MeasureScore.Source.CLIENT
