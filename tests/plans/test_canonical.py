"""The canonical format is a contract with every signature ever given: pin it.

A fixed plan (fixed lineage UUIDs, dates and texts, some of them not ASCII) must render to
exactly this JSON and hash. If this test fails, a change altered the format: every stored
signature would stop matching. Don't update the literal; add a new schema to plans.canonical
and leave the old one as it is.
"""

import datetime as dt
import hashlib
import uuid

import pytest

from clients.models import PresentingProblem
from formulation.models import ConflictType, CoreConflict, DefenseMechanism, DefenseObservation, Formulation
from plans import canonical, lifecycle, services
from plans.models import Goal, Intervention, InterventionTechnique, MeasureDefinition, Objective
from tests.factories import ClientFactory, PresentingProblemFactory

GOLDEN_JSON = (
    '{"formulation":{"attachment_pattern":"avoidant","ccrt_response_of_other":"",'
    '"ccrt_response_of_self":"","ccrt_wish":"","childhood_experiences":"Père absent; «silence» à table.",'
    '"conflicts":[{"description":"Sehnt sich nach Fürsorge.","id":"00000000-0000-0000-0000-000000000004",'
    '"intensity":"significant","mode":"passive","type":"care-self-sufficiency"}],'
    '"countertransference":"","defenses":[{"evidence":"Speaks of the loss flatly.",'
    '"id":"00000000-0000-0000-0000-000000000005","level":6,"mechanism":"Isolation of affect"}],'
    '"losses":"","narrative_hypothesis":"Needs no one — \\"safer\\" that way.\\nSecond line.",'
    '"resistance":"","significant_relationships":"","strengths":"","transference":""},'
    '"goals":[{"description":"Zulassen 😢","id":"00000000-0000-0000-0000-000000000001",'
    '"objectives":[{"baseline":"14","conflicts":["00000000-0000-0000-0000-000000000004"],'
    '"defenses":["00000000-0000-0000-0000-000000000005"],"id":"00000000-0000-0000-0000-000000000002",'
    '"measure":"PHQ-9","measure_binding":{"criterion":"lt","measure":"phq9",'
    '"threshold":10},"presenting_problems":["Trauer nach dem Verlust – „Leere“"],'
    '"relational_pattern":false,"responsible":"both","statement":"Name feelings in session",'
    '"status":"not_started","target":"below 10","target_date":"2027-03-01"}],'
    '"statement":"Feel the loss"}],"interventions":[{"frequency":"weekly, 50 min",'
    '"id":"00000000-0000-0000-0000-000000000003","objectives":["00000000-0000-0000-0000-000000000002"],'
    '"rationale":"Affekt zugänglich machen.","technique":"Defense analysis"}],'
    '"plan":{"chart_number":"PSY-0042","horizon_months":12,"presenting_problems":[["Sleep 睡眠",'
    '""],["Trauer nach dem Verlust – „Leere“","F43.21"]],"review_interval_months":3,'
    '"start_date":"2026-11-02","version_number":1},"schema":"psyplan.plan-content/1"}'
)
GOLDEN_SHA256 = "94ac272bc56acb3f22079ee14a4b7a91115fd97e5f2170d43d7aeb3d0b16c685"


def _lineage(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


@pytest.fixture
def fixed_plan(clinician):
    client = ClientFactory(primary_clinician=clinician, chart_number="PSY-0042")
    problem = PresentingProblemFactory(client=client, title="Trauer nach dem Verlust – „Leere“", clients_words="x")
    PresentingProblem.objects.filter(pk=problem.pk).update(diagnosis_code="F43.21")
    second = PresentingProblemFactory(client=client, title="Sleep 睡眠", clients_words="y")
    plan = services.start_plan(
        actor=clinician,
        client=client,
        start_date=dt.date(2026, 11, 2),
        review_interval=3,
        presenting_problems=[problem, second],
    )
    Formulation.objects.filter(plan=plan).update(
        childhood_experiences="Père absent; «silence» à table.",
        attachment_pattern="avoidant",
        narrative_hypothesis='Needs no one — "safer" that way.\nSecond line.',
    )
    conflict = services.add_conflict(
        actor=clinician,
        formulation=plan.formulation,
        conflict_type=ConflictType.objects.get(code="care-self-sufficiency"),
        intensity="significant",
        mode="passive",
        description="Sehnt sich nach Fürsorge.",
    )
    defense = services.add_defense(
        actor=clinician,
        formulation=plan.formulation,
        mechanism=DefenseMechanism.objects.get(name="Isolation of affect"),
        evidence="Speaks of the loss flatly.",
    )
    goal = services.add_goal(actor=clinician, plan=plan, statement="Feel the loss", description="Zulassen 😢")
    objective = services.add_objective(
        actor=clinician,
        goal=goal,
        statement="Name feelings in session",
        measure="PHQ-9",
        baseline="14",
        target="below 10",
        target_date=dt.date(2027, 3, 1),
        presenting_problems=[problem],
        conflicts=[conflict],
        defenses=[defense],
        bound_measure=MeasureDefinition.objects.get(code="phq9", practice=None),
        bound_comparator="lt",
        bound_threshold=10,
    )
    services.add_intervention(
        actor=clinician,
        plan=plan,
        technique=InterventionTechnique.objects.get(name="Defense analysis"),
        objectives=[objective],
        frequency="weekly, 50 min",
        rationale="Affekt zugänglich machen.",
    )
    # Fixed lineages, set while the plan is still a draft.
    for model, n in [(Goal, 1), (Objective, 2), (Intervention, 3), (CoreConflict, 4), (DefenseObservation, 5)]:
        model.objects.filter(pk=model.objects.latest("pk").pk).update(lineage=_lineage(n))
    return plan


def test_the_canonical_json_of_a_fixed_plan_is_exactly_the_pinned_bytes_and_hash(fixed_plan):
    signed = canonical.canonical_json(fixed_plan)
    assert signed.decode("utf-8") == GOLDEN_JSON
    assert hashlib.sha256(signed).hexdigest() == GOLDEN_SHA256 == canonical.content_hash(fixed_plan)


def test_signing_the_fixed_plan_stores_the_pinned_json_and_the_frozen_version_still_renders_it(fixed_plan, clinician):
    plan = lifecycle.submit_plan(actor=clinician, plan=fixed_plan)
    signature = plan.signatures.get()
    assert signature.canonical_json == GOLDEN_JSON and signature.content_hash == GOLDEN_SHA256
    # Read back from the version's own copy of what it quotes, the bytes are the same.
    assert canonical.canonical_json(plan).decode() == GOLDEN_JSON
    assert canonical.FORMATS[canonical.SCHEMA_V1] is not None and canonical.verify(plan).matches
