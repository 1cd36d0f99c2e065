"""One fixed plan for the golden tests of formats that must never drift (canonical JSON, FHIR).

Everything the formats show is fixed here: lineage UUIDs, dates and texts, some of them not
ASCII. What the database or the clock generates (primary keys, creation times) is fixed by the
test that uses it, as that test's format needs.
"""

import datetime as dt
import uuid

from clients.models import PresentingProblem
from formulation import services as formulation_services
from formulation.models import ConflictType, CoreConflict, DefenseMechanism, DefenseObservation, Formulation
from plans.editor import services
from plans.models import Goal, Intervention, InterventionTechnique, MeasureDefinition, Objective, TreatmentPlan
from tests.factories import ClientFactory, PresentingProblemFactory


def lineage(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


def build_fixed_plan(author, **client_fields) -> TreatmentPlan:
    """A draft plan by `author`; `client_fields` fix more of the client than the chart number."""
    client = ClientFactory(primary_clinician=author, chart_number="PSY-0042", **client_fields)
    problem = PresentingProblemFactory(client=client, title="Trauer nach dem Verlust – „Leere“", clients_words="x")
    PresentingProblem.objects.filter(pk=problem.pk).update(diagnosis_code="F43.21")
    second = PresentingProblemFactory(client=client, title="Sleep 睡眠", clients_words="y")
    plan = services.start_plan(
        actor=author,
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
    conflict = formulation_services.add_conflict(
        actor=author,
        formulation=plan.formulation,
        conflict_type=ConflictType.objects.get(code="care-self-sufficiency"),
        intensity="significant",
        mode="passive",
        description="Sehnt sich nach Fürsorge.",
    )
    defense = formulation_services.add_defense(
        actor=author,
        formulation=plan.formulation,
        mechanism=DefenseMechanism.objects.get(name="Isolation of affect"),
        evidence="Speaks of the loss flatly.",
    )
    goal = services.add_goal(actor=author, plan=plan, statement="Feel the loss", description="Zulassen 😢")
    objective = services.add_objective(
        actor=author,
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
        actor=author,
        plan=plan,
        technique=InterventionTechnique.objects.get(name="Defense analysis"),
        objectives=[objective],
        frequency="weekly, 50 min",
        rationale="Affekt zugänglich machen.",
    )
    # Fixed lineages, set while the plan is still a draft. (The canonical JSON does not show the
    # plan's own lineage; the FHIR CarePlan's identifier does.)
    for model, n in [(Goal, 1), (Objective, 2), (Intervention, 3), (CoreConflict, 4), (DefenseObservation, 5)]:
        model.objects.filter(pk=model.objects.latest("pk").pk).update(lineage=lineage(n))
    TreatmentPlan.objects.filter(pk=plan.pk).update(lineage=lineage(6))
    plan.refresh_from_db()
    return plan
