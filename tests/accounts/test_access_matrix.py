"""Role × record × action: who can list, read and edit which client records.

Out of view answers 404 (existence is not leaked); in view but not the
user's to change answers 403; and a refused edit changes nothing.
"""

import datetime as dt

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.access import get_visible_or_404
from clients.models import Client, PresentingProblem
from notes import services as note_services
from notes.models import NoteSignature, ProgressNote, ServiceType, TherapySession
from tests.factories import ClientFactory, PresentingProblemFactory

# Whose client each record kind is, from the point of view of each role.
RECORD_OWNER = {
    "clinician": {
        "own": "clinician",
        "supervisees": "trainee",
        "same_practice_other": "colleague",
        "other_practice": "outsider",
    },
    "trainee": {
        "own": "trainee",
        "supervisees": "clinician",
        "same_practice_other": "colleague",
        "other_practice": "outsider",
    },
    "supervisor": {
        "own": "supervisor",
        "supervisees": "clinician",
        "same_practice_other": "colleague",
        "other_practice": "outsider",
    },
    "admin": {"own": None, "supervisees": "trainee", "same_practice_other": "colleague", "other_practice": "outsider"},
}

# (listed, read status, edit status)
VISIBLE_EDITABLE = (True, 200, 200)
VISIBLE_READ_ONLY = (True, 200, 403)
HIDDEN = (False, 404, 404)

EXPECTED = {
    ("clinician", "own"): VISIBLE_EDITABLE,
    ("clinician", "supervisees"): HIDDEN,
    ("clinician", "same_practice_other"): HIDDEN,
    ("clinician", "other_practice"): HIDDEN,
    ("trainee", "own"): VISIBLE_EDITABLE,
    ("trainee", "supervisees"): HIDDEN,
    ("trainee", "same_practice_other"): HIDDEN,
    ("trainee", "other_practice"): HIDDEN,
    ("supervisor", "own"): VISIBLE_EDITABLE,
    ("supervisor", "supervisees"): VISIBLE_READ_ONLY,
    ("supervisor", "same_practice_other"): HIDDEN,
    ("supervisor", "other_practice"): HIDDEN,
    ("admin", "supervisees"): VISIBLE_READ_ONLY,
    ("admin", "same_practice_other"): VISIBLE_READ_ONLY,
    ("admin", "other_practice"): HIDDEN,
}
ACTIONS = ["list", "read", "edit"]
CASES = [(role, record, action) for (role, record) in EXPECTED for action in ACTIONS]


@pytest.fixture
def cast(clinician, colleague, trainee, supervisor, admin, outsider):
    people = {
        "clinician": clinician,
        "colleague": colleague,
        "trainee": trainee,
        "supervisor": supervisor,
        "admin": admin,
        "outsider": outsider,
    }
    records = {
        name: ClientFactory(primary_clinician=person, given_name=f"Of{name.title()}")
        for name, person in people.items()
        if name != "admin"
    }
    return people, records


def _listed_ids(response) -> set[int]:
    soup = BeautifulSoup(response.content, "html.parser")
    return {int(a["href"].rstrip("/").rsplit("/", 1)[1]) for a in soup.select("#client-rows a[href^='/clients/']")}


@pytest.mark.parametrize(("role", "record", "action"), CASES, ids=["-".join(c) for c in CASES])
def test_access_matrix(role, record, action, cast, login):
    people, records = cast
    actor = people[role]
    target = records[RECORD_OWNER[role][record]]
    listed, read_status, edit_status = EXPECTED[(role, record)]
    web = login(actor)

    if action == "list":
        assert (target.pk in _listed_ids(web.get("/clients/?status=all"))) is listed
        assert Client.objects.visible_to(actor).filter(pk=target.pk).exists() is listed
    elif action == "read":
        assert web.get(f"/clients/{target.pk}/").status_code == read_status
    else:
        assert web.get(f"/clients/{target.pk}/edit/").status_code == edit_status
        response = web.post(
            f"/clients/{target.pk}/edit/",
            {
                "given_name": "Changed",
                "family_name": target.family_name,
                "date_of_birth": "1990-05-17",
                "chart_number": target.chart_number,
                "intake_date": "2026-09-01",
                "version": target.version,
            },
        )
        target.refresh_from_db()
        if edit_status == 200:
            assert response.status_code == 302
            assert target.given_name == "Changed"
        else:
            assert response.status_code == edit_status
            assert target.given_name != "Changed"
        assert Client.objects.editable_by(actor).filter(pk=target.pk).exists() is (edit_status == 200)


def test_records_below_a_client_follow_the_clients_access(cast):
    people, records = cast
    problems = {name: PresentingProblemFactory(client=client) for name, client in records.items()}
    visible = set(PresentingProblem.objects.visible_to(people["supervisor"]).values_list("pk", flat=True))
    assert visible == {problems["supervisor"].pk, problems["clinician"].pk, problems["trainee"].pk}
    editable = set(PresentingProblem.objects.editable_by(people["supervisor"]).values_list("pk", flat=True))
    assert editable == {problems["supervisor"].pk}
    assert not PresentingProblem.objects.visible_to(people["outsider"]).exclude(pk=problems["outsider"].pk).exists()


def test_ended_supervision_ends_the_supervisors_view(cast):
    people, records = cast
    supervisor = people["supervisor"]
    supervisor.supervisions_given.filter(supervisee=people["clinician"]).update(ended_on="2026-06-30")
    assert not Client.objects.visible_to(supervisor).filter(pk=records["clinician"].pk).exists()


def test_deactivated_user_sees_nothing(cast):
    people, _ = cast
    admin = people["admin"]
    admin.is_active = False
    admin.save()
    assert not Client.objects.visible_to(admin).exists()


def test_anonymous_user_is_sent_to_sign_in(client, own_client):
    response = client.get(f"/clients/{own_client.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_supervision_across_practices_grants_nothing(cast, other_practice):
    """Even a bad row linking practices cannot open another practice's records."""
    from accounts.models import Supervision

    people, records = cast
    Supervision.objects.create(
        practice=people["supervisor"].membership.practice,
        supervisor=people["supervisor"],
        supervisee=people["outsider"],
    )
    assert not Client.objects.visible_to(people["supervisor"]).filter(pk=records["outsider"].pk).exists()


# --- Sessions and progress notes (issue 14) -------------------------------------------------
# No pages yet: the door and the services are the routes' future answers. "read" is the door's
# get_visible_or_404 (404 out of view), "edit" the service's act (PermissionDenied when refused).


def _session_rows(records):
    individual = ServiceType.objects.get(practice=None, code="individual")
    rows = {}
    for name, client in records.items():
        session = note_services.record_session(
            actor=client.primary_clinician,
            client=client,
            date=dt.date(2026, 11, 10),
            start_time=dt.time(9, 0),
            duration_minutes=50,
            service_type=individual,
        )
        note = note_services.save_note(actor=client.primary_clinician, session=session, what_happened="Began.")
        rows[name] = (session, note)
    return rows


def _edit(kind, actor, session):
    if kind == "session":
        note_services.update_session(
            actor=actor, session=session, expected_version=session.version, changes={"duration_minutes": 45}
        )
    else:
        note_services.save_note(actor=actor, session=session, what_happened="Changed")


@pytest.mark.parametrize("kind", ["session", "note"])
@pytest.mark.parametrize(("role", "record", "action"), CASES, ids=["-".join(c) for c in CASES])
def test_session_and_note_access_matrix(role, record, action, kind, cast):
    people, records = cast
    actor = people[role]
    session, note = _session_rows(records)[RECORD_OWNER[role][record]]
    target = session if kind == "session" else note
    model = type(target)
    listed, read_status, edit_status = EXPECTED[(role, record)]

    if action == "list":
        assert model.objects.visible_to(actor).filter(pk=target.pk).exists() is listed
    elif action == "read":
        if read_status == 200:
            assert get_visible_or_404(model.objects, actor, pk=target.pk) == target
        else:
            with pytest.raises(Http404):
                get_visible_or_404(model.objects, actor, pk=target.pk)
    else:
        if edit_status == 200:
            _edit(kind, actor, session)
        else:
            with pytest.raises(PermissionDenied):
                _edit(kind, actor, session)
        changed = (
            TherapySession.objects.get(pk=session.pk).duration_minutes == 45
            if kind == "session"
            else ProgressNote.objects.get(pk=note.pk).what_happened == "Changed"
        )
        assert changed is (edit_status == 200)
        assert model.objects.editable_by(actor).filter(pk=target.pk).exists() is (edit_status == 200)


def test_another_practices_sessions_are_never_visible(cast):
    people, records = cast
    outsider = people["outsider"]
    note_services.sign_note(actor=outsider, note=_session_rows(records)["outsider"][1])
    paths = {TherapySession: "client", ProgressNote: "session__client", NoteSignature: "note__session__client"}
    for person in ("clinician", "supervisor", "admin"):
        for model, path in paths.items():
            theirs = model.objects.filter(**{path: records["outsider"]})
            assert theirs.exists()
            assert not theirs.visible_to(people[person]).exists()
    assert TherapySession.objects.visible_to(outsider).get().client == records["outsider"]


# --- Client links: scheduled questionnaires and the practice admin's pages (issue 15) ----------

ADMIN_PAGES = {"/clients/links/settings/": "settings", "/clients/links/response-rates/": "rates"}
# role -> status of each practice admin page: the practice's admins only; to everyone else they do not exist.
CLIENT_LINK_ADMIN_PAGES = {
    "clinician": 404,
    "colleague": 404,
    "trainee": 404,
    "supervisor": 404,
    "admin": 200,
    "outsider": 404,
}


@pytest.mark.parametrize("role", list(CLIENT_LINK_ADMIN_PAGES))
@pytest.mark.parametrize("path", list(ADMIN_PAGES))
def test_client_link_admin_pages_matrix(role, path, cast, login):
    people, _ = cast
    assert login(people[role]).get(path).status_code == CLIENT_LINK_ADMIN_PAGES[role]


@pytest.mark.parametrize(("role", "record"), list(EXPECTED), ids=["-".join(c) for c in EXPECTED])
def test_scheduled_questionnaires_follow_the_clients_access(role, record, cast):
    from django.utils import timezone

    from participation.models import ClientLink, ScheduledQuestionnaire, hash_token
    from plans.models import TreatmentPlan
    from tests.factories import make_plan

    people, records = cast
    client = records[RECORD_OWNER[role][record]]
    plan = make_plan(client)
    link = ClientLink.objects.create(
        client=client,
        purpose=ClientLink.Purpose.QUESTIONNAIRES,
        measure_codes=["phq9"],
        delivery=ClientLink.Delivery.EMAIL,
        token_hash=hash_token(f"matrix-{client.pk}"),
        expires_at=timezone.now() + dt.timedelta(days=7),
        created_by=client.primary_clinician,
    )
    scheduled = ScheduledQuestionnaire.objects.create(
        plan=TreatmentPlan.objects.get(pk=plan.pk), occasion="review", occasion_key="review:1", link=link
    )
    listed, _, edit_status = EXPECTED[(role, record)]
    actor = people[role]
    assert ScheduledQuestionnaire.objects.visible_to(actor).filter(pk=scheduled.pk).exists() is listed
    assert ScheduledQuestionnaire.objects.editable_by(actor).filter(pk=scheduled.pk).exists() is (edit_status == 200)


# A client alert (participation.ClientRiskAlert): read where the client is in view; acknowledged by
# the client's clinician or a current supervisor of theirs, never by the admin, who acts on no
# clinical record. (read status, acknowledge status)
ALERT_EXPECTED = {
    ("clinician", "own"): (200, 302),
    ("clinician", "supervisees"): (404, 404),
    ("clinician", "same_practice_other"): (404, 404),
    ("clinician", "other_practice"): (404, 404),
    ("trainee", "own"): (200, 302),
    ("trainee", "supervisees"): (404, 404),
    ("trainee", "same_practice_other"): (404, 404),
    ("trainee", "other_practice"): (404, 404),
    ("supervisor", "own"): (200, 302),
    ("supervisor", "supervisees"): (200, 302),
    ("supervisor", "same_practice_other"): (404, 404),
    ("supervisor", "other_practice"): (404, 404),
    ("admin", "supervisees"): (200, 403),
    ("admin", "same_practice_other"): (200, 403),
    ("admin", "other_practice"): (404, 404),
}


def _open_alert(client):
    from participation import services as link_services
    from participation.models import ClientLink

    link, _ = link_services.create_link(
        actor=client.primary_clinician,
        client=client,
        purpose=ClientLink.Purpose.QUESTIONNAIRES,
        delivery=ClientLink.Delivery.HAND,
        measure_codes=["phq9"],
    )
    (alert,) = link_services.submit_questionnaires(link=link, answers={"phq9": [0] * 8 + [2]}).alerts
    return alert


@pytest.mark.parametrize(("role", "record"), list(ALERT_EXPECTED), ids=["-".join(c) for c in ALERT_EXPECTED])
def test_client_alert_access_matrix(role, record, cast, login):
    people, records = cast
    alert = _open_alert(records[RECORD_OWNER[role][record]])
    read_status, acknowledge_status = ALERT_EXPECTED[(role, record)]
    web = login(people[role])
    assert web.get(f"/clients/alerts/{alert.pk}/").status_code == read_status
    assert web.post(f"/clients/alerts/{alert.pk}/", {"note": "Rang the client."}).status_code == acknowledge_status
    alert.refresh_from_db()
    assert alert.is_open is (acknowledge_status != 302)
