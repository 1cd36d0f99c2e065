"""Role x whose record x action, over every API resource.

Out of view is 404 on read and write (and "does not exist" when named in a body), never a
hint that the record exists; in view but not yours is 403; list endpoints never carry the
id of a record outside your view.
"""

import datetime as dt

import pytest

from clients.models import Client, PresentingProblem
from notes import services as notes
from notes.models import ServiceType
from participation import services as participation
from plans.models import MeasureDefinition
from progress import services
from progress.models import ProgressReview
from tests.factories import PASSWORD, ClientFactory, make_plan

pytestmark = pytest.mark.django_db

EDIT, READ, HIDDEN = "edit", "read", "hidden"
OWNERS = ["clinician", "trainee", "colleague", "supervisor", "outsider"]
EXPECTED = {
    "clinician": {"clinician": EDIT},
    "trainee": {"trainee": EDIT},
    "supervisor": {"supervisor": EDIT, "clinician": READ, "trainee": READ},
    "admin": {"clinician": READ, "trainee": READ, "colleague": READ, "supervisor": READ},
    "outsider": {"outsider": EDIT},
}
PATCHES = {
    "clients": {"phone": "+1 555 0199"},
    "presenting-problems": {"onset": "last spring"},
    "plans": {"horizon_months": 9},
    "formulations": {"strengths": "Curious, reliable attendance."},
    "goals": {"description": "Broad process goal."},
    "objectives": {"baseline": "Names none yet."},
    "interventions": {"frequency": "twice weekly"},
    "sessions": {"duration_minutes": 45},
}
# Client links are made and revoked, never patched (their create and revoke are checked below).
RESOURCES = [*PATCHES, "progress-reviews", "measures", "client-links"]
# Process notes have a stricter door than EXPECTED: their author only (checked on their own below).
PRIVATE = "process-notes"


def _world(users):
    phq9 = MeasureDefinition.objects.get(code="phq9", practice=None)
    individual = ServiceType.objects.get(practice=None, code="individual")
    world = {}
    for owner in OWNERS:
        user = users[owner]
        client = ClientFactory(primary_clinician=user)
        plan = make_plan(client)
        goal = plan.goals.get()
        objective = goal.objectives.get()
        score = services.record_measure(
            actor=user, client=client, definition=phq9, recorded_on=dt.date(2026, 9, 2), items=[1] * 8 + [0]
        )
        session = notes.record_session(
            actor=user,
            client=client,
            date=dt.date(2026, 11, 3),
            start_time=dt.time(9, 0),
            duration_minutes=50,
            service_type=individual,
        )
        notes.save_note(actor=user, session=session, what_happened="Spoke of the break.")
        process_note = notes.write_process_note(actor=user, client=client, session=session, text="Private.")
        if owner in ("clinician", "trainee"):
            # Shared with their supervisor, who still reads it only on the web page, never here.
            notes.share_process_note(actor=user, note=process_note, supervisor=users["supervisor"])
        link, _ = participation.create_link(
            actor=user, client=client, purpose="questionnaires", delivery="hand", measure_codes=["phq9"]
        )
        world[owner] = {
            "client-links": link.pk,
            "clients": client.pk,
            "presenting-problems": PresentingProblem.objects.filter(client=client).get().pk,
            "plans": plan.pk,
            "formulations": plan.formulation.pk,
            "goals": goal.pk,
            "objectives": objective.pk,
            "interventions": plan.interventions.get().pk,
            "progress-reviews": ProgressReview.objects.create(plan=plan, due_date=dt.date(2026, 12, 1)).pk,
            "measures": score.pk,
            "sessions": session.pk,
            PRIVATE: process_note.pk,
        }
    return world


@pytest.fixture
def users(clinician, trainee, colleague, supervisor, admin, outsider):
    return {
        "clinician": clinician,
        "trainee": trainee,
        "colleague": colleague,
        "supervisor": supervisor,
        "admin": admin,
        "outsider": outsider,
    }


@pytest.mark.parametrize("role", list(EXPECTED))
def test_every_resource_answers_each_role_by_whose_record_it_is(api, users, role):
    world = _world(users)
    caller = api(users[role])
    failures = []

    def expect(label, response, wanted):
        if response.status_code != wanted:
            failures.append(f"{label}: {response.status_code} (wanted {wanted}) {response.content[:200]!r}")

    for resource in RESOURCES:
        listed = {row["id"] for row in caller.get(f"/api/v1/{resource}/?page_size=200").json()["results"]}
        allowed = {world[o][resource] for o in OWNERS if EXPECTED[role].get(o)}
        if not listed <= allowed:
            failures.append(f"list {resource} leaks {sorted(listed - allowed)}")
        for owner in OWNERS:
            access = EXPECTED[role].get(owner, HIDDEN)
            pk = world[owner][resource]
            url = f"/api/v1/{resource}/{pk}/"
            if (pk in listed) != (access != HIDDEN):
                failures.append(f"list {resource} of {owner}'s: listed={pk in listed}")
            expect(f"read {resource} of {owner}'s", caller.get(url), 404 if access == HIDDEN else 200)
            if resource in PATCHES:
                response = caller.patch(url, PATCHES[resource], format="json", HTTP_IF_MATCH="*")
                expect(f"patch {resource} of {owner}'s", response, {EDIT: 200, READ: 403, HIDDEN: 404}[access])

    own_private = {row["id"] for row in caller.get(f"/api/v1/{PRIVATE}/?page_size=200").json()["results"]}
    for owner in OWNERS:
        mine = owner == role
        pk = world[owner][PRIVATE]
        if (pk in own_private) != mine:
            failures.append(f"list {PRIVATE} of {owner}'s: listed={pk in own_private}")
        url = f"/api/v1/{PRIVATE}/{pk}/"
        expect(f"read {PRIVATE} of {owner}'s", caller.get(url), 200 if mine else 404)
        response = caller.patch(url, {"text": "Changed."}, format="json", HTTP_IF_MATCH="*")
        expect(f"patch {PRIVATE} of {owner}'s", response, 200 if mine else 404)

    technique_id = _technique_id()
    phq9_id = MeasureDefinition.objects.get(code="phq9", practice=None).pk
    for owner in OWNERS:
        access = EXPECTED[role].get(owner, HIDDEN)
        ids = world[owner]
        read = 404 if access == HIDDEN else 200
        expect(f"fhir of {owner}'s plan", caller.get(f"/api/v1/plans/{ids['plans']}/fhir/"), read)
        # The search (a POST body, never a query string) finds exactly the clients in view.
        searched = Client.objects.get(pk=ids["clients"])
        for term in (searched.chart_number, searched.family_name):
            response = caller.post("/api/v1/clients/search/", {"q": term}, format="json")
            expect(f"search for {owner}'s client", response, 200)
            found = ids["clients"] in {row["id"] for row in response.json().get("results", [])}
            if found != (access != HIDDEN):
                failures.append(f"search for {owner}'s client by {term!r}: found={found}")
        # Naming a record out of view in a body reads as "does not exist" (400), not 404 or 403.
        expect(
            f"add goal to {owner}'s plan",
            caller.post("/api/v1/goals/", {"plan": ids["plans"], "statement": "New aim"}, format="json"),
            {EDIT: 201, READ: 403, HIDDEN: 400}[access],
        )
        expect(
            f"add intervention to {owner}'s plan",
            caller.post("/api/v1/interventions/", {"plan": ids["plans"], "technique": technique_id}, format="json"),
            {EDIT: 201, READ: 403, HIDDEN: 400}[access],
        )
        expect(
            f"record measure for {owner}'s client",
            caller.post(
                "/api/v1/measures/",
                {"client": ids["clients"], "definition": phq9_id, "recorded_on": "2026-09-03", "items": [0] * 9},
                format="json",
            ),
            {EDIT: 201, READ: 403, HIDDEN: 400}[access],
        )
        expect(
            f"complete review of {owner}'s plan",
            caller.post(f"/api/v1/progress-reviews/{ids['progress-reviews']}/complete/", {}, format="json"),
            {EDIT: 400, READ: 403, HIDDEN: 404}[access],
        )
        expect(
            f"record a session for {owner}'s client",
            caller.post(
                "/api/v1/sessions/",
                {
                    "client": ids["clients"],
                    "date": "2026-11-04",
                    "start_time": "10:00",
                    "duration_minutes": 50,
                    "service_type": ServiceType.objects.get(practice=None, code="individual").pk,
                },
                format="json",
            ),
            {EDIT: 201, READ: 403, HIDDEN: 400}[access],
        )
        expect(
            f"sign the note of {owner}'s session",
            caller.post(f"/api/v1/sessions/{ids['sessions']}/sign/", {"password": PASSWORD}, format="json"),
            {EDIT: 200, READ: 403, HIDDEN: 404}[access],
        )
        expect(
            f"read the addenda of {owner}'s session",
            caller.get(f"/api/v1/sessions/{ids['sessions']}/addenda/"),
            {EDIT: 200, READ: 200, HIDDEN: 404}[access],
        )
        expect(
            f"make a link for {owner}'s client",
            caller.post(
                "/api/v1/client-links/",
                {"client": ids["clients"], "purpose": "questionnaires", "measure_codes": ["gad7"], "delivery": "hand"},
                format="json",
            ),
            {EDIT: 201, READ: 403, HIDDEN: 400}[access],
        )
        expect(
            f"revoke {owner}'s client's link",
            caller.post(f"/api/v1/client-links/{ids['client-links']}/revoke/"),
            {EDIT: 200, READ: 403, HIDDEN: 404}[access],
        )
        expect(
            f"submit {owner}'s plan",
            caller.post(f"/api/v1/plans/{ids['plans']}/submit/", {"password": PASSWORD}, format="json"),
            {EDIT: 200, READ: 403, HIDDEN: 404}[access],
        )
        # The plan is submitted now: its content is frozen for its own clinician too.
        expect(
            f"remove objective of {owner}'s submitted plan",
            caller.delete(f"/api/v1/objectives/{ids['objectives']}/", HTTP_IF_MATCH="*"),
            {EDIT: 409, READ: 403, HIDDEN: 404}[access],
        )
        expect(
            f"archive {owner}'s presenting problem",
            caller.delete(f"/api/v1/presenting-problems/{ids['presenting-problems']}/", HTTP_IF_MATCH="*"),
            {EDIT: 204, READ: 403, HIDDEN: 404}[access],
        )
        expect(
            f"discharge {owner}'s client",
            caller.post(
                f"/api/v1/clients/{ids['clients']}/discharge/",
                {"discharged_on": "2026-10-01", "reason": "Moved away."},
                format="json",
            ),
            {EDIT: 200, READ: 403, HIDDEN: 404}[access],
        )
    assert not failures, "\n".join(failures)


def _technique_id():
    from plans.models import InterventionTechnique

    return InterventionTechnique.objects.get(name="Clarification").pk


def test_every_endpoint_answers_401_without_credentials(api, own_client):
    plan = make_plan(own_client)
    anonymous = api()
    urls = [f"/api/v1/{r}/" for r in [*RESOURCES, PRIVATE]] + [
        f"/api/v1/plans/{plan.pk}/",
        f"/api/v1/plans/{plan.pk}/fhir/",
    ]
    urls.append(f"/api/v1/plans/{plan.pk}/pdf/")
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"] == "Token"
        assert response.json()["code"] == "not_authenticated"
    for action in ["submit", "approve", "amend", "close", "request-changes", "revise"]:
        assert anonymous.post(f"/api/v1/plans/{plan.pk}/{action}/").status_code == 401
    assert anonymous.post("/api/v1/clients/search/", {"q": own_client.family_name}, format="json").status_code == 401
    assert anonymous.post("/api/v1/client-links/", {"client": own_client.pk}, format="json").status_code == 401
    link, _ = participation.create_link(
        actor=own_client.primary_clinician,
        client=own_client,
        purpose="questionnaires",
        delivery="hand",
        measure_codes=["phq9"],
    )
    assert anonymous.post(f"/api/v1/client-links/{link.pk}/revoke/").status_code == 401
