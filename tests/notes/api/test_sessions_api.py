"""`/api/v1/sessions/`: a session with its progress note nested, through the caseload door."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AccessLog
from formulation.models import CoreConflict, DefenseMechanism
from notes import services
from notes.models import ProgressNote, TherapySession
from plans.lifecycle import transitions
from plans.models import Intervention, Objective
from tests.factories import PASSWORD, ClientFactory, make_plan
from tests.notes.builders import full_note, record

pytestmark = pytest.mark.django_db
KEY = "0c1d5a0e-4b0f-4f7e-9d38-1c2b3a4d5e6f"
# The signer proves who they are in the body of every signing request (accounts/reauth.py).
SIGNER = {"password": PASSWORD}


def _ids(session):
    plan = session.plan
    return {
        "objective": Objective.objects.get(goal__plan=plan).pk,
        "intervention": Intervention.objects.get(plan=plan).pk,
        "conflict": CoreConflict.objects.get(formulation__plan=plan).pk,
        "isolation": DefenseMechanism.objects.get(name="Isolation of affect").pk,
        "humour": DefenseMechanism.objects.get(name="Humour").pk,
    }


def _note_body(session, **overrides):
    ids = _ids(session)
    return {
        "objectives": [{"objective": ids["objective"], "evidence": "Named the pattern.", "movement": "some_movement"}],
        "interventions": [ids["intervention"]],
        "conflicts": [{"conflict": ids["conflict"], "intensity": "very_significant"}],
        "defenses": [{"mechanism": ids["isolation"], "count": 3}, {"mechanism": ids["humour"], "count": 1}],
        "episodes": [
            {"other": "therapist", "wish": "to be held", "response_of_other": "tires", "response_of_self": "hides"},
            {"other": "sibling", "wish": "to be seen", "response_of_other": "talks over", "response_of_self": "quiet"},
        ],
        "risk": "none",
        "what_happened": "Spoke of the break.",
        "plan_for_next_time": "Return to the break.",
    } | overrides


def _error(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"status", "code", "detail", "fields"}, body
    if code:
        assert body["code"] == code, body
    return body


def _signed(clinician, session):
    note = services.save_note(actor=clinician, session=session, **full_note(session))
    services.sign_note(actor=clinician, note=note)
    return note


# --- Reading -------------------------------------------------------------------------


def test_a_session_reads_with_its_note_nested_its_defensive_functioning_and_transference(api, clinician, session):
    services.save_note(actor=clinician, session=session, **full_note(session))
    response = api(clinician).get(f"/api/v1/sessions/{session.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert (body["date"], body["start_time"], body["attendance"]) == ("2026-11-10", "09:30", "attended")
    assert body["service_type_name"] == "Individual" and body["plan"] == session.plan_id
    note = body["note"]
    assert note["status"] == "draft" and note["signature"] is None and note["addenda"] == []
    assert [o["movement"] for o in note["objectives"]] == ["some_movement"]
    assert note["interventions"] == list(Intervention.objects.filter(plan=session.plan).values_list("pk", flat=True))
    assert [c["intensity"] for c in note["conflicts"]] == ["very_significant"]
    isolation, humour = (DefenseMechanism.objects.get(name=n) for n in ("Isolation of affect", "Humour"))
    assert [(d["name"], d["level"], d["count"]) for d in note["defenses"]] == [
        ("Isolation of affect", isolation.level, 3),
        ("Humour", humour.level, 1),
    ]
    assert note["defensive_functioning"] == round((isolation.level * 3 + humour.level) / 4, 2)
    assert [e["is_transference"] for e in note["episodes"]] == [True, False]
    assert "countertransference" not in response.content.decode().lower()
    assert response["ETag"] == f'"session-{session.pk}-v1-note-v2-draft"'


def test_a_session_without_a_note_reads_with_a_null_note(api, clinician, session):
    assert api(clinician).get(f"/api/v1/sessions/{session.pk}/").json()["note"] is None


def test_the_list_filters_by_client_and_plan(api, clinician, session, individual):
    other = ClientFactory(primary_clinician=clinician)
    transitions.submit_plan(actor=clinician, plan=make_plan(other))
    elsewhere = record(clinician, other, individual)
    caller = api(clinician)
    everything = {row["id"] for row in caller.get("/api/v1/sessions/").json()["results"]}
    assert everything == {session.pk, elsewhere.pk}
    by_client = caller.get(f"/api/v1/sessions/?client={session.client_id}").json()["results"]
    by_plan = caller.get(f"/api/v1/sessions/?plan={elsewhere.plan_id}").json()["results"]
    assert [row["id"] for row in by_client] == [session.pk]
    assert [row["id"] for row in by_plan] == [elsewhere.pk]


def test_the_session_lists_query_count_does_not_grow_with_its_sessions(api, clinician, own_client, active_plan):
    from notes.models import ServiceType

    individual = ServiceType.objects.get(practice=None, code="individual")
    caller = api(clinician)

    def grow_to(n):
        while TherapySession.objects.count() < n:
            day = 1 + TherapySession.objects.count() % 28
            session = record(clinician, own_client, individual, date=dt.date(2026, 10, day))
            note = services.save_note(actor=clinician, session=session, **full_note(session))
            if session.pk % 2:
                services.sign_note(actor=clinician, note=note)
                services.add_addendum(actor=clinician, note=note, text="A later correction.")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = caller.get("/api/v1/sessions/?page_size=200")
        assert response.status_code == 200
        return len(captured), len(response.json()["results"])

    grow_to(3)
    small = queries()
    grow_to(30)
    large = queries()
    assert (small[1], large[1]) == (3, 30)
    assert small[0] == large[0], (small, large)


def test_reading_a_session_is_in_the_access_log_with_its_client(api, clinician, session):
    assert api(clinician).get(f"/api/v1/sessions/{session.pk}/").status_code == 200
    entry = AccessLog.objects.filter(action="read").order_by("-pk").first()
    assert (entry.object_type, entry.object_id, entry.client_id) == ("session", str(session.pk), session.client_id)
    assert entry.detail == "api:session-detail"


# --- Who may do what -------------------------------------------------------------------

OWN, READ, HIDDEN = "own", "read", "hidden"
ROLES = {"clinician": OWN, "supervisor": READ, "admin": READ, "colleague": HIDDEN, "outsider": HIDDEN}


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_gets_what_the_door_says_for_every_session_action(
    api, request, role, clinician, supervisor, session, individual
):
    access = ROLES[role]
    caller = api(request.getfixturevalue(role))
    url = f"/api/v1/sessions/{session.pk}/"
    listed = {row["id"] for row in caller.get("/api/v1/sessions/").json()["results"]}
    assert (session.pk in listed) == (access != HIDDEN)
    assert caller.get(url).status_code == {OWN: 200, READ: 200, HIDDEN: 404}[access]
    patch = caller.patch(url, {"duration_minutes": 45}, format="json", HTTP_IF_MATCH="*")
    assert patch.status_code == {OWN: 200, READ: 403, HIDDEN: 404}[access], patch.content
    body = {"client": session.client_id, "date": "2026-11-17", "start_time": "09:30", "duration_minutes": 50}
    body["service_type"] = individual.pk
    created = caller.post("/api/v1/sessions/", body, format="json")
    # A client out of view is "does not exist" in the body (400), never 404 or 403.
    assert created.status_code == {OWN: 201, READ: 403, HIDDEN: 400}[access], created.content
    note_body = {"note": {"what_happened": "Spoke of the break."}}
    assert caller.patch(url, note_body, format="json", HTTP_IF_MATCH="*").status_code == patch.status_code
    sign = caller.post(f"{url}sign/", SIGNER, format="json")
    assert sign.status_code == {OWN: 200, READ: 403, HIDDEN: 404}[access], sign.content
    if access != OWN:
        _signed(clinician, session)
    assert caller.get(f"{url}addenda/").status_code == {OWN: 200, READ: 200, HIDDEN: 404}[access]
    added = caller.post(f"{url}addenda/", {"text": "Correction: it was Tuesday."} | SIGNER, format="json")
    assert added.status_code == {OWN: 201, READ: 403, HIDDEN: 404}[access], added.content


def test_a_supervisor_reads_the_note_and_its_addenda_of_a_supervisees_session(api, clinician, supervisor, session):
    _signed(clinician, session)
    services.add_addendum(actor=clinician, note=session.note, text="It was Tuesday.")
    body = api(supervisor).get(f"/api/v1/sessions/{session.pk}/").json()
    assert body["note"]["status"] == "signed" and body["note"]["signature"]["meaning"] == "authored"
    assert [a["text"] for a in body["note"]["addenda"]] == ["It was Tuesday."]
    assert body["note"]["addenda"][0]["signature"]["meaning"] == "addendum"
    addenda = api(supervisor).get(f"/api/v1/sessions/{session.pk}/addenda/").json()
    assert [a["text"] for a in addenda] == ["It was Tuesday."]


# --- Writing -------------------------------------------------------------------------


def test_a_session_is_recorded_with_its_draft_note_in_one_request(api, clinician, own_client, active_plan, individual):
    session = record(clinician, own_client, individual)  # only to learn the plan's item ids
    body = {"client": own_client.pk, "date": "2026-11-17", "start_time": "09:30", "duration_minutes": 50}
    body |= {"service_type": individual.pk, "modality": "video", "note": _note_body(session)}
    response = api(clinician).post("/api/v1/sessions/", body, format="json")
    assert response.status_code == 201, response.content
    created = TherapySession.objects.get(pk=response.json()["id"])
    assert created.plan == active_plan and created.modality == "video"
    assert created.note.objectives_worked.count() == 1 and created.note.episodes.count() == 2
    assert response["ETag"] == f'"session-{created.pk}-v1-note-v2-draft"'


def test_a_patch_changes_only_the_note_parts_it_sends(api, clinician, session):
    caller = api(clinician)
    url = f"/api/v1/sessions/{session.pk}/"
    first = caller.patch(url, {"note": _note_body(session)}, format="json", HTTP_IF_MATCH="*")
    assert first.status_code == 200, first.content
    second = caller.patch(
        url, {"note": {"what_happened": "Also the dream."}}, format="json", HTTP_IF_MATCH=first["ETag"]
    )
    assert second.status_code == 200, second.content
    note = second.json()["note"]
    assert note["what_happened"] == "Also the dream." and len(note["defenses"]) == 2 and len(note["episodes"]) == 2


def test_the_note_is_signed_and_then_refuses_every_change_with_409(api, clinician, session):
    caller = api(clinician)
    url = f"/api/v1/sessions/{session.pk}/"
    etag = caller.patch(url, {"note": _note_body(session)}, format="json", HTTP_IF_MATCH="*")["ETag"]
    signed = caller.post(f"{url}sign/", SIGNER, format="json", HTTP_IF_MATCH=etag)
    assert signed.status_code == 200, signed.content
    assert signed.json()["note"]["status"] == "signed" and signed.json()["note"]["signature"]["content_hash"]
    _error(caller.patch(url, {"note": {"what_happened": "x"}}, format="json", HTTP_IF_MATCH="*"), 409, "note_locked")
    _error(caller.patch(url, {"duration_minutes": 45}, format="json", HTTP_IF_MATCH="*"), 409, "note_locked")
    _error(caller.post(f"{url}sign/", SIGNER, format="json"), 409, "note_locked")
    assert ProgressNote.objects.get(session=session).what_happened == "Spoke of the break."
    added = caller.post(f"{url}addenda/", {"text": "Correction: it was Tuesday."} | SIGNER, format="json")
    assert added.status_code == 201 and added.json()["signature"]["meaning"] == "addendum"


def test_a_stale_if_match_is_412_with_the_current_etag_and_a_missing_one_428(api, clinician, session):
    caller = api(clinician)
    url = f"/api/v1/sessions/{session.pk}/"
    old = caller.get(url)["ETag"]
    fresh = caller.patch(url, {"duration_minutes": 45}, format="json", HTTP_IF_MATCH=old)
    assert fresh.status_code == 200
    stale = caller.patch(url, {"duration_minutes": 55}, format="json", HTTP_IF_MATCH=old)
    _error(stale, 412, "stale")
    assert fresh["ETag"] != old
    _error(caller.post(f"{url}sign/", SIGNER, format="json", HTTP_IF_MATCH=old), 412, "stale")
    _error(caller.patch(url, {"duration_minutes": 55}, format="json"), 428, "if_match_required")
    assert TherapySession.objects.get(pk=session.pk).duration_minutes == 45


def test_a_note_saved_elsewhere_after_the_if_match_check_is_still_412_from_the_service(
    api, clinician, session, monkeypatch
):
    caller = api(clinician)
    url = f"/api/v1/sessions/{session.pk}/"
    etag = caller.patch(url, {"note": _note_body(session)}, format="json", HTTP_IF_MATCH="*")["ETag"]
    from notes.api import views

    real_check = views.check_if_match

    def racing(request, obj, **kwargs):
        real_check(request, obj, **kwargs)
        # Another tab saves the draft right after this request's If-Match check passed.
        services.save_note(actor=clinician, session=session, **_note_body(session, what_happened="Theirs."))

    monkeypatch.setattr(views, "check_if_match", racing)
    response = caller.patch(url, {"note": {"what_happened": "Mine."}}, format="json", HTTP_IF_MATCH=etag)
    _error(response, 412, "stale")
    assert response["ETag"] == f'"session-{session.pk}-v1-note-v3-draft"'
    assert ProgressNote.objects.get(session=session).what_happened == "Theirs."


def test_bad_input_is_a_field_error_and_changes_nothing(api, clinician, session, individual, outsider):
    caller = api(clinician)
    url = f"/api/v1/sessions/{session.pk}/"
    # An objective of another plan (another practice's, even): named as the note's field.
    foreign = transitions.submit_plan(actor=outsider, plan=make_plan(ClientFactory(primary_clinician=outsider)))
    foreign_objective = Objective.objects.get(goal__plan=foreign).pk
    bad_objective = _note_body(session, objectives=[{"objective": foreign_objective, "evidence": "x"}])
    body = _error(caller.patch(url, {"note": bad_objective}, format="json", HTTP_IF_MATCH="*"), 400, "invalid")
    assert list(body["fields"]) == ["note"] and "objectives" in body["fields"]["note"]
    high = _note_body(session, risk="high", safety_plan="")
    body = _error(caller.patch(url, {"note": high}, format="json", HTTP_IF_MATCH="*"), 400, "invalid")
    assert "safety_plan" in body["fields"]["note"]
    body = _error(caller.patch(url, {"attendance": "maybe"}, format="json", HTTP_IF_MATCH="*"), 400, "invalid")
    assert "attendance" in body["fields"]
    no_reason = {"attendance": "no_show", "reason": ""}
    body = _error(caller.patch(url, no_reason, format="json", HTTP_IF_MATCH="*"), 400, "invalid")
    assert "reason" in body["fields"]
    created = {"client": session.client_id, "date": "2026-11-17", "start_time": "25:00", "duration_minutes": 2}
    body = _error(caller.post("/api/v1/sessions/", created | {"service_type": individual.pk}, format="json"), 400)
    assert {"start_time", "duration_minutes"} <= set(body["fields"])
    session.refresh_from_db()
    assert (session.version, session.attendance) == (1, "attended")
    assert not ProgressNote.objects.filter(session=session).exists()
    assert TherapySession.objects.count() == 1


def test_a_failing_note_on_create_leaves_no_session_behind(api, clinician, session, individual):
    body = {"client": session.client_id, "date": "2026-11-17", "start_time": "09:30", "duration_minutes": 50}
    body |= {"service_type": individual.pk, "note": _note_body(session, risk="moderate")}
    _error(api(clinician).post("/api/v1/sessions/", body, format="json"), 400, "invalid")
    assert TherapySession.objects.count() == 1


def test_a_session_that_did_not_take_place_refuses_a_note(api, clinician, own_client, active_plan, individual):
    missed = record(clinician, own_client, individual, attendance="no_show", reason="Did not come.")
    response = api(clinician).patch(
        f"/api/v1/sessions/{missed.pk}/", {"note": {"what_happened": "x"}}, format="json", HTTP_IF_MATCH="*"
    )
    body = _error(response, 400, "invalid")
    assert "attendance" in body["fields"]["note"]
    _error(api(clinician).post(f"/api/v1/sessions/{missed.pk}/sign/", SIGNER, format="json"), 400, "invalid")


def test_a_retried_create_with_the_same_idempotency_key_records_one_session(api, clinician, session, individual):
    caller = api(clinician)
    body = {"client": session.client_id, "date": "2026-11-17", "start_time": "09:30", "duration_minutes": 50}
    body |= {"service_type": individual.pk, "note": _note_body(session)}
    first = caller.post("/api/v1/sessions/", body, format="json", headers={"Idempotency-Key": KEY})
    again = caller.post("/api/v1/sessions/", body, format="json", headers={"Idempotency-Key": KEY})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert TherapySession.objects.count() == 2 and ProgressNote.objects.count() == 1


def test_signing_a_note_or_an_addendum_without_the_password_is_400_on_the_field_and_signs_nothing(
    api, clinician, session
):
    caller = api(clinician)
    url = f"/api/v1/sessions/{session.pk}/"
    caller.patch(url, {"note": _note_body(session)}, format="json", HTTP_IF_MATCH="*")
    missing = _error(caller.post(f"{url}sign/", {}, format="json"), 400, "invalid")
    assert "Type your password" in missing["fields"]["password"][0]
    wrong = _error(caller.post(f"{url}sign/", {"password": "guess"}, format="json"), 400, "invalid")
    assert "not right" in wrong["fields"]["password"][0]
    assert not ProgressNote.objects.get(session=session).is_signed
    assert AccessLog.objects.filter(action="signer_check", outcome="failed").count() == 2
    assert not AccessLog.objects.filter(detail__contains="guess").exists()
    assert caller.post(f"{url}sign/", SIGNER, format="json").status_code == 200
    text = {"text": "Correction: it was Tuesday."}
    _error(caller.post(f"{url}addenda/", text | {"password": "guess"}, format="json"), 400, "invalid")
    assert not ProgressNote.objects.get(session=session).addenda.exists()
