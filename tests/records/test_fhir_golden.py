"""The FHIR R4 bundle of a fixed plan is a contract with every system that imports it: pin it.

The fixed plan (tests/plans/fixed_plan.py, the same one the canonical JSON is pinned with) is
written by a trainee, co-signed by her supervisor and has one PHQ-9 score, so the bundle holds
every kind of resource: Patient, both Practitioners, two Conditions, the CarePlan with its
activity, a Goal for the goal and for its measure-bound objective, and an Encounter for each of
its two sessions (one attended by video with a signed note, one a no-show the week before).

Nothing in the bundle is normalised. What the clock or the database generates is fixed instead:
- the clock is frozen (time-machine), which fixes the bundle's `timestamp`, the CarePlan's
  `created`, each Condition's `recordedDate` and "today" for the objective's achievement;
- primary keys are fixed by resetting the database's sequences before the test
  (`reset_sequences`), because every `fullUrl`, `id` and reference is derived from one, and so
  is the Patient identifier's practice system. Without it they would depend on which tests ran
  before (PostgreSQL sequences are not rolled back).

The expected bundle is tests/records/golden/fhir_bundle.json (pretty-printed, keys sorted). If
this test fails, a change altered what the export says. When that change is deliberate,
regenerate the file and review its diff like code:

    PSYPLAN_UPDATE_GOLDEN=1 .venv/bin/pytest tests/plans/test_fhir_golden.py

Regenerating is refused in CI (where `CI` is set): there the file is only ever compared.
"""

import datetime as dt
import json
import os
from pathlib import Path

import pytest
import time_machine

from accounts.models import User
from clients.models import PresentingProblem
from notes import services as notes
from notes.models import ServiceType
from plans.lifecycle import transitions
from plans.models import MeasureDefinition
from progress import services
from records import fhir
from tests.api.conftest import validate_bundle
from tests.factories import SupervisionFactory, staff
from tests.plans.fixed_plan import build_fixed_plan

GOLDEN = Path(__file__).parent / "golden" / "fhir_bundle.json"
# 09:30 in the practice's time zone (America/New_York) on the plan's start date.
NOW = dt.datetime(2026, 11, 2, 14, 30, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)


def _render(bundle: dict) -> str:
    return json.dumps(bundle, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _named(user: User, given: str, family: str, credentials: str) -> User:
    User.objects.filter(pk=user.pk).update(given_name=given, family_name=family, credentials=credentials)
    user.refresh_from_db()
    return user


@pytest.fixture
def bundle(practice):
    with time_machine.travel(NOW, tick=False):
        # Factory sequences number people by test order: the names are set here.
        trainee = _named(staff(practice, is_clinician=True, requires_cosignature=True), "Zoë", "Ångström", "MA")
        supervisor = _named(staff(practice, is_clinician=True, is_supervisor=True), "Kwame", "Mensah", "PhD, ABPP")
        SupervisionFactory(supervisor=supervisor, supervisee=trainee)
        plan = build_fixed_plan(
            trainee,
            given_name="Ana",
            family_name="Müller-Łukasik",
            preferred_name="Anka",
            email="ana@example.test",
            phone="+1 555 0100",
            address="12 Rue de l’Église\nMontréal",
        )
        PresentingProblem.objects.filter(client=plan.client, diagnosis_code="F43.21").update(
            diagnosis_label="Adjustment disorder with mixed anxiety and depressed mood",
            severity=PresentingProblem.Severity.SEVERE,
            onset="Frühjahr 2026",
            duration="sechs Monate",
            observed_symptoms="Weint, wenn sie vom Vater spricht.",
            functional_impact="Arbeitet halbtags.",
        )
        plan = transitions.submit_plan(actor=trainee, plan=plan)
        plan = transitions.approve_plan(actor=supervisor, plan=plan)
        services.record_measure(
            actor=trainee,
            client=plan.client,
            definition=MeasureDefinition.objects.get(code="phq9", practice=None),
            recorded_on=NOW.date(),
            items=[1, 1, 1, 1, 1, 1, 1, 1, 0],
            plan=plan,
        )
        individual = ServiceType.objects.get(practice=None, code="individual")
        attended = notes.record_session(
            actor=trainee,
            client=plan.client,
            date=dt.date(2026, 10, 27),
            start_time=dt.time(16, 0),
            duration_minutes=50,
            service_type=individual,
            modality="video",
        )
        note = notes.save_note(actor=trainee, session=attended, what_happened="Never in FHIR: the note's text.")
        notes.sign_note(actor=trainee, note=note)
        notes.record_session(
            actor=trainee,
            client=plan.client,
            date=dt.date(2026, 10, 20),
            start_time=dt.time(16, 0),
            duration_minutes=50,
            service_type=individual,
            attendance="no_show",
            reason="Did not come; no message.",
        )
        return fhir.plan_bundle(plan)


def test_the_fhir_bundle_of_a_fixed_plan_is_exactly_the_golden_file(bundle):
    rendered = _render(bundle)
    if os.environ.get("PSYPLAN_UPDATE_GOLDEN") == "1":
        if os.environ.get("CI"):
            pytest.fail("PSYPLAN_UPDATE_GOLDEN is refused in CI: regenerate the golden file locally and commit it.")
        GOLDEN.write_text(rendered, encoding="utf-8")
    assert rendered.encode("utf-8") == GOLDEN.read_bytes()


def test_the_fixed_plans_bundle_validates_as_fhir_r4(bundle):
    parsed = validate_bundle(bundle)
    assert parsed.type == "collection"
    kinds = sorted(entry["resource"]["resourceType"] for entry in bundle["entry"])
    assert kinds == [
        "CarePlan",
        "Condition",
        "Condition",
        "Encounter",
        "Encounter",
        "Goal",
        "Goal",
        "Patient",
        "Practitioner",
        "Practitioner",
    ]
    encounters = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Encounter"]
    assert [(e["status"], e["class"]["code"]) for e in encounters] == [("cancelled", "AMB"), ("finished", "VR")]
    assert encounters[0]["extension"][0]["valueCodeableConcept"] == {"text": "No-show"}
    # Nothing of the note, and not the free-text reason a session did not take place.
    assert "Never in FHIR" not in json.dumps(bundle) and "no message" not in json.dumps(bundle)


def test_the_golden_file_is_itself_a_valid_r4_bundle():
    # What was committed, not only what this build renders, is valid FHIR.
    assert validate_bundle(json.loads(GOLDEN.read_text(encoding="utf-8"))).type == "collection"
