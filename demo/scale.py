"""Realistic synthetic data at scale for benchmarks (`manage.py seed_demo --scale N`).

Built with bulk inserts rather than the services, so thousands of plans take seconds, but with
the same shape the services produce: each plan gets a formulation, goals, SMART objectives,
interventions, a year of completed quarterly reviews with PHQ-9 scores, an authored signature
whose hash is the real canonical content hash, and the last few weekly sessions (SESSIONS, for the
plan page's last sessions and drift flags) with their notes, signed with real hashes except the
latest. Content is inserted while the plan is a draft and the plans are activated afterwards, which
the signed-plan guards allow; notes likewise get their content as drafts and are signed after.
"""

import datetime as dt
import hashlib
import random

from django.db import transaction
from django.db.models import Prefetch

from accounts.models import Membership, Practice, User
from clients.models import Client, PresentingProblem
from formulation.models import ConflictType, CoreConflict, DefenseMechanism, DefenseObservation, Formulation
from notes import canonical
from notes.models import (
    NoteConflict,
    NoteDefense,
    NoteIntervention,
    NoteObjective,
    NoteSignature,
    ProgressNote,
    RelationshipEpisode,
    ServiceType,
    TherapySession,
)
from plans.lifecycle import quotes
from plans.lifecycle.canonical import canonical_json
from plans.models import (
    Goal,
    Intervention,
    InterventionTechnique,
    MeasureDefinition,
    Objective,
    Signature,
    TreatmentPlan,
    add_months,
)
from progress.models import MeasureScore, ObjectiveProgress, ProgressReview

TEXT = "Synthetic text for benchmarks: a pattern of withdrawing when closeness grows."
CLINICIANS = 50
# Weekly sessions per scale plan: a modest recent history (each signed note's hash costs a few queries).
SESSIONS = 4


def _staff(practice: Practice) -> list[User]:
    clinicians = []
    for i in range(CLINICIANS):
        email = f"scale.clinician{i}@example.test"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email, "scale-password-123", given_name=f"Scale{i}", family_name="Clinician"
        )
        Membership.objects.get_or_create(user=user, defaults={"practice": practice, "is_clinician": True})
        clinicians.append(user)
    return clinicians


@transaction.atomic
def build(n: int, *, goals: int = 3, objectives: int = 3, sessions: int = SESSIONS, seed: int = 7) -> Practice:
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    practice, _ = Practice.objects.get_or_create(name="Scale Practice", defaults={"timezone": "America/New_York"})
    clinicians = _staff(practice)
    today = practice.today()
    start = today - dt.timedelta(days=365)
    phq9 = MeasureDefinition.objects.get(code="phq9")
    conflict_type = ConflictType.objects.get(code="self-worth")
    mechanism = DefenseMechanism.objects.get(name="Isolation of affect")
    technique = InterventionTechnique.objects.get(name="Defense analysis")
    offset = Client.objects.filter(practice=practice).count()

    clients = Client.objects.bulk_create(
        Client(
            practice=practice,
            chart_number=f"S-{offset + i:06d}",
            given_name=f"Scale{offset + i}",
            family_name="Synthetic",
            date_of_birth=dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(15000)),
            primary_clinician=clinicians[i % CLINICIANS],
            intake_date=start,
        )
        for i in range(n)
    )
    problems = PresentingProblem.objects.bulk_create(
        PresentingProblem(
            client=c,
            title="Low mood",
            clients_words=TEXT,
            severity=PresentingProblem.Severity.MODERATE,
            diagnosis_code="F33.1",
        )
        for c in clients
    )
    plans = TreatmentPlan.objects.bulk_create(
        TreatmentPlan(
            client=c,
            practice=practice,
            author=c.primary_clinician,
            start_date=start,
            next_review_date=add_months(start, 3),
        )
        for c in clients
    )
    TreatmentPlan.presenting_problems.through.objects.bulk_create(
        TreatmentPlan.presenting_problems.through(treatmentplan_id=p.pk, presentingproblem_id=pr.pk)
        for p, pr in zip(plans, problems, strict=True)
    )
    formulations = Formulation.objects.bulk_create(
        Formulation(plan=p, narrative_hypothesis=TEXT, ccrt_wish=TEXT, strengths=TEXT) for p in plans
    )
    conflicts = CoreConflict.objects.bulk_create(
        CoreConflict(formulation=f, conflict_type=conflict_type, description=TEXT) for f in formulations
    )
    DefenseObservation.objects.bulk_create(
        DefenseObservation(formulation=f, mechanism=mechanism, evidence=TEXT) for f in formulations
    )
    goal_rows = Goal.objects.bulk_create(
        Goal(plan=p, statement=f"Goal {g + 1}", order=g) for p in plans for g in range(goals)
    )
    objective_rows = Objective.objects.bulk_create(
        Objective(
            goal=g,
            statement=f"Identify pattern {o + 1} in relationships",
            measure="Patterns named in session",
            target="Names 2 patterns",
            target_date=start + dt.timedelta(days=300),
            order=o,
        )
        for g in goal_rows
        for o in range(objectives)
    )
    plan_of_goal = {g.pk: g.plan_id for g in goal_rows}
    conflict_of_plan = {f.plan_id: c.pk for f, c in zip(formulations, conflicts, strict=True)}
    Objective.conflicts.through.objects.bulk_create(
        Objective.conflicts.through(objective_id=o.pk, coreconflict_id=conflict_of_plan[plan_of_goal[o.goal_id]])
        for o in objective_rows
    )
    interventions = Intervention.objects.bulk_create(
        Intervention(plan=p, technique=technique, frequency="weekly") for p in plans
    )
    objectives_of_plan: dict[int, list[int]] = {}
    for o in objective_rows:
        objectives_of_plan.setdefault(plan_of_goal[o.goal_id], []).append(o.pk)
    Intervention.objectives.through.objects.bulk_create(
        Intervention.objectives.through(intervention_id=i.pk, objective_id=o)
        for i in interventions
        for o in objectives_of_plan[i.plan_id]
    )

    # Freeze what each plan quotes and sign its real canonical content while it is still open, then activate.
    signed = {}
    for p in plans:
        quotes.freeze(p)
        signed[p.pk] = canonical_json(p)
    Signature.objects.bulk_create(
        Signature(
            plan=p,
            signer_id=p.author_id,
            meaning=Signature.Meaning.AUTHORED,
            printed_name=f"{p.author.given_name} {p.author.family_name}",
            signed_at=dt.datetime.combine(start, dt.time(12), practice.tzinfo),
            timezone=practice.timezone,
            canonical_json=signed[p.pk].decode("utf-8"),
            content_hash=hashlib.sha256(signed[p.pk]).hexdigest(),
        )
        for p in plans
    )
    TreatmentPlan.objects.filter(pk__in=[p.pk for p in plans]).update(
        status=TreatmentPlan.Status.ACTIVE,
        activated_at=dt.datetime.combine(start, dt.time(12), practice.tzinfo),
        submitted_at=dt.datetime.combine(start, dt.time(12), practice.tzinfo),
    )

    # A year of quarterly reviews, each with PHQ-9 scored and every objective's progress.
    reviews, scores = [], []
    for plan in plans:
        for quarter in range(1, 5):
            due = add_months(start, 3 * quarter)
            if due > today:
                break
            reviews.append(
                ProgressReview(
                    plan=plan,
                    due_date=due,
                    status=ProgressReview.Status.COMPLETED,
                    completed_on=due,
                    completed_by_id=plan.author_id,
                    alliance_bond=4,
                    alliance_goals=4,
                    alliance_tasks=4,
                    summary=TEXT,
                    decision=ProgressReview.Decision.CONTINUE,
                    notified_at=None,
                )
            )
    reviews = ProgressReview.objects.bulk_create(reviews)
    entries = []
    for review in reviews:
        total = max(0, 18 - 3 * ((review.due_date - start).days // 90) + rng.randrange(-2, 3))
        items = [total // 9 + (1 if i < total % 9 else 0) for i in range(9)]
        scores.append(
            MeasureScore(
                client_id=review.plan.client_id,
                definition=phq9,
                plan=review.plan,
                review=review,
                recorded_on=review.due_date,
                item_scores=items,
                total=sum(items),
                band=phq9.band_for(sum(items)),
                recorded_by_id=review.plan.author_id,
            )
        )
        for objective_id in objectives_of_plan[review.plan_id]:
            entries.append(
                ObjectiveProgress(
                    review=review,
                    objective_id=objective_id,
                    status=ObjectiveProgress.Status.PROGRESSING,
                    rating=rng.randrange(10, 90),
                )
            )
    MeasureScore.objects.bulk_create(scores)
    ObjectiveProgress.objects.bulk_create(entries, batch_size=5000)
    last_review = {r.plan_id: r.due_date for r in reviews}
    for plan in plans:
        plan.next_review_date = add_months(last_review.get(plan.pk, start), 3)
    TreatmentPlan.objects.bulk_update(plans, ["next_review_date"], batch_size=2000)
    _sessions(practice, plans, objectives_of_plan, conflict_of_plan, interventions, mechanism, sessions)
    return practice


def _sessions(practice, plans, objectives_of_plan, conflict_of_plan, interventions, mechanism, weeks: int) -> None:
    """`weeks` attended weekly sessions per plan, the last yesterday, each with a note working on
    one objective (never the plan's last, so drift shows), signed hours later; the latest stays a draft."""
    if not weeks:
        return
    individual = ServiceType.objects.get(practice=None, code="individual")
    intervention_of_plan = {i.plan_id: i.pk for i in interventions}
    yesterday = dt.datetime.combine(practice.today() - dt.timedelta(days=1), dt.time(10), practice.tzinfo)
    rows = TherapySession.objects.bulk_create(
        (
            TherapySession(
                client_id=p.client_id,
                plan=p,
                clinician_id=p.author_id,
                starts_at=yesterday - dt.timedelta(weeks=weeks - 1 - week),
                timezone=practice.timezone,
                duration_minutes=50,
                service_type=individual,
            )
            for p in plans
            for week in range(weeks)
        ),
        batch_size=2000,
    )
    notes = ProgressNote.objects.bulk_create(
        (ProgressNote(session=s, author_id=s.clinician_id, what_happened=TEXT) for s in rows), batch_size=2000
    )
    parts = {model: [] for model in (NoteObjective, NoteIntervention, NoteConflict, NoteDefense, RelationshipEpisode)}
    for index, note in enumerate(notes):
        plan_id = note.session.plan_id
        worked = objectives_of_plan[plan_id][:-1] or objectives_of_plan[plan_id]
        parts[NoteObjective].append(
            NoteObjective(note=note, objective_id=worked[index % len(worked)], evidence="Named the pattern once.")
        )
        parts[NoteIntervention].append(NoteIntervention(note=note, intervention_id=intervention_of_plan[plan_id]))
        parts[NoteConflict].append(NoteConflict(note=note, conflict_id=conflict_of_plan[plan_id]))
        parts[NoteDefense].append(NoteDefense(note=note, mechanism=mechanism, count=2))
        parts[RelationshipEpisode].append(
            RelationshipEpisode(
                note=note,
                other=RelationshipEpisode.Other.PARTNER,
                wish="To be noticed.",
                response_of_other="Busy.",
                response_of_self="Withdraws.",
            )
        )
    for model, made in parts.items():
        model.objects.bulk_create(made, batch_size=5000)
    # Sign every note but each plan's latest with its real canonical content, as sign_note would.
    to_sign = [n for n in notes if n.session.starts_at < yesterday]
    printed = {p.author_id: p.author.get_full_name() for p in plans}
    signatures = []
    for note in _with_parts(to_sign):
        content = canonical.note_json(note)
        signatures.append(
            NoteSignature(
                note=note,
                signer_id=note.author_id,
                meaning=NoteSignature.Meaning.AUTHORED,
                printed_name=printed[note.author_id],
                signed_at=note.session.starts_at + dt.timedelta(hours=3),
                timezone=practice.timezone,
                canonical_json=content.decode("utf-8"),
                content_hash=canonical.digest(content),
            )
        )
    NoteSignature.objects.bulk_create(signatures, batch_size=2000)
    for note, signature in zip(to_sign, signatures, strict=True):
        note.status, note.signed_at = ProgressNote.Status.SIGNED, signature.signed_at
    # Draft to signed is the one change the note guards allow, as in sign_note.
    ProgressNote.objects.bulk_update(to_sign, ["status", "signed_at"], batch_size=2000)


def _with_parts(notes: list[ProgressNote], batch: int = 2000):
    """The notes read back with every part prefetched as the canonical form reads it, a few queries
    per batch instead of five per note; the content signed is the same."""
    for start in range(0, len(notes), batch):
        chunk = {n.pk: n for n in notes[start : start + batch]}
        loaded = ProgressNote.objects.filter(pk__in=chunk).prefetch_related(
            Prefetch("objectives_worked", queryset=NoteObjective.objects.select_related("objective")),
            Prefetch("interventions_used", queryset=NoteIntervention.objects.select_related("intervention")),
            Prefetch("conflicts_active", queryset=NoteConflict.objects.select_related("conflict__conflict_type")),
            Prefetch("defenses", queryset=NoteDefense.objects.select_related("mechanism")),
            "episodes",
        )
        by_pk = {note.pk: note for note in loaded}
        for pk, note in chunk.items():  # in the order given, which the signatures are zipped with
            by_pk[pk].session = note.session
            yield by_pk[pk]
