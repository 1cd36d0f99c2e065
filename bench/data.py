"""Synthetic plans for benchmarks, built through the same services clinicians use."""

import datetime as dt
import itertools

from accounts.models import Membership, Practice, User
from clients.models import Client, PresentingProblem
from formulation import services as formulation_services
from formulation.models import ConflictType, DefenseMechanism
from plans.editor import services
from plans.lifecycle import transitions
from plans.models import InterventionTechnique, MeasureDefinition
from progress.services import record_measure

LOREM = (
    "The client describes a long-standing pattern of withdrawing when closeness grows, "
    "linked in session to early experiences of inconsistent care."
)


# Every benchmark group builds its own practice in the one scratch database `make bench` uses, so
# the staff of each must have addresses of their own (emails are unique).
_practices = itertools.count(1)


def practice_with_staff() -> tuple[Practice, User, User]:
    n = next(_practices)
    practice = Practice.objects.create(name=f"Bench Practice {n}", timezone="America/New_York")
    clinician = User.objects.create_user(
        f"bench{n}.clinician@example.test", "bench-password-123", given_name="Bench", family_name="Clinician"
    )
    admin = User.objects.create_user(
        f"bench{n}.admin@example.test", "bench-password-123", given_name="Bench", family_name="Admin"
    )
    Membership.objects.create(user=clinician, practice=practice, is_clinician=True)
    Membership.objects.create(user=admin, practice=practice, is_practice_admin=True)
    return practice, clinician, admin


def plan(
    clinician: User,
    index: int,
    *,
    goals: int = 3,
    objectives: int = 3,
    interventions: int = 2,
    sign: bool = True,
    start_date: dt.date = dt.date(2026, 10, 1),
):
    practice = clinician.membership.practice
    client = Client.objects.create(
        practice=practice,
        chart_number=f"B-{index:05d}",
        given_name=f"Bench{index}",
        family_name="Synthetic",
        date_of_birth=dt.date(1985, 1, 1) + dt.timedelta(days=index),
        primary_clinician=clinician,
        intake_date=start_date - dt.timedelta(days=30),
    )
    problem = PresentingProblem.objects.create(
        client=client,
        title="Low mood",
        clients_words="I feel flat and alone.",
        severity="moderate",
        diagnosis_code="F33.1",
        diagnosis_label="Major depressive disorder, recurrent, moderate",
    )
    p = services.start_plan(actor=clinician, client=client, start_date=start_date, presenting_problems=[problem])
    for section in ("development", "relational", "transference", "strengths", "narrative"):
        values = {name: LOREM for name in p.formulation.SECTIONS[section][1] if name != "attachment_pattern"}
        formulation_services.save_formulation_section(
            actor=clinician, formulation=p.formulation, section=section, expected_version=0, values=values
        )
    conflict = formulation_services.add_conflict(
        actor=clinician,
        formulation=p.formulation,
        conflict_type=ConflictType.objects.get(code="self-worth"),
        intensity="significant",
        mode="passive",
        description=LOREM,
    )
    defense = formulation_services.add_defense(
        actor=clinician,
        formulation=p.formulation,
        mechanism=DefenseMechanism.objects.get(name="Isolation of affect"),
        evidence=LOREM,
    )
    technique = InterventionTechnique.objects.get(name="Defense analysis")
    for g in range(goals):
        goal = services.add_goal(
            actor=clinician, plan=p, statement=f"Goal {g + 1}: increase self-awareness", description=LOREM
        )
        made = [
            services.add_objective(
                actor=clinician,
                goal=goal,
                statement=f"Identify relational pattern {g + 1}.{o + 1} in session",
                measure="Patterns named by the client, noted weekly",
                baseline="None named",
                target="Names 2 patterns",
                target_date=start_date + dt.timedelta(days=151),
                presenting_problems=[problem],
                conflicts=[conflict],
                defenses=[defense],
            )
            for o in range(objectives)
        ]
        for _ in range(interventions):
            services.add_intervention(
                actor=clinician, plan=p, technique=technique, objectives=made, frequency="weekly", rationale=LOREM
            )
    phq9 = MeasureDefinition.objects.get(code="phq9")
    today = practice.today()
    for weeks, items in [(12, [2] * 9), (6, [2, 2, 1, 1, 1, 1, 1, 1, 0]), (1, [1] * 8 + [0])]:
        record_measure(
            actor=clinician, client=client, definition=phq9, recorded_on=today - dt.timedelta(weeks=weeks), items=items
        )
    if sign:
        p = transitions.submit_plan(actor=clinician, plan=p)
    return p
