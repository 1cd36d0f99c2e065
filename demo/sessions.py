"""A realistic synthetic history of weekly sessions for a plan, built through the notes services.

`build_history(plan, weeks=52)` records a client's weekly sessions up to yesterday, writes their
progress notes from the plan's own objectives, interventions and formulation, and signs them a few
hours after each session, so everything a newcomer or a test sees is real: signatures with their
canonical hashes, immutability, and the access log. It is deterministic for a given seed and end
date, and used by seed_demo (a year per demo client with an active plan) and by tests that need a
long history (two years of weekly sessions for the query-count tests).

The shape, as a practice would see it:
- a regular weekly slot on a working day (Monday to Friday), now and then moved by an hour or a day;
  the first session is the intake, the rest individual sessions, mostly in person, some by video;
- mostly attended, with a few late cancellations, a no-show and a session cancelled by the clinician,
  each with its reason;
- each note works on one or two objectives with a one-line evidence entry and a movement mark that
  improves over the year; the plan's last objective is not worked on in the last quarter, so it
  shows as drifting; interventions come from the plan; the formulation's conflicts are active, their
  intensity easing as therapy helps; defenses come from the DMRS catalogue with counts, the mature
  ones seen more often as the year goes on, so defensive functioning drifts upward;
- relationship episodes repeat the formulation's CCRT with partner, parent, sibling, colleague or
  friend, with a transference episode now and then;
- risk is none, except one session with a moderate risk and its safety plan;
- two signed notes carry an addendum, a few sessions a private process note;
- the last attended session's note is still a draft, and so is one from three weeks ago: unsigned
  more than 72 hours after its session, it is what the dashboard flags.
"""

import datetime as dt
import random
from dataclasses import dataclass, field

from django.utils import timezone

from formulation.models import CoreConflict, DefenseMechanism
from notes import services
from notes.models import NoteObjective, ProgressNote, RelationshipEpisode, ServiceType, TherapySession
from plans.models import Intervention, Objective, TreatmentPlan

Attendance = TherapySession.Attendance
Movement = NoteObjective.Movement
Other = RelationshipEpisode.Other

WORKING_DAYS = (0, 1, 2, 3, 4)  # Monday to Friday
SLOTS = (dt.time(9), dt.time(10), dt.time(11), dt.time(13, 30), dt.time(15), dt.time(16), dt.time(17, 30))
STALE_DRAFT_WEEKS_AGO = 3  # the draft left unsigned for weeks: past the 72-hour flag
DRIFT_WEEKS = 13  # the plan's last objective is left alone this long: a quarter, so drift shows

LATE_CANCELLATIONS = ("Called an hour before: child unwell.", "Work emergency, cancelled that morning.")
LATE_CANCELLATIONS += ("Missed the train; cancelled at the start time.", "Migraine, called 30 minutes before.")
NO_SHOW = "Did not attend and did not call; reached by phone the next day."
CLINICIAN_CANCELLATIONS = ("Clinician unwell.", "Clinician at a training conference.", "Office closed: storm.")

EVIDENCE = {
    Movement.WORSE: (
        "Withdrew again after a setback at work and could not say why.",
        "Described the week as flat; returned to old habits of hiding it.",
    ),
    Movement.NO_CHANGE: (
        "Recognised the pattern afterwards but not in the moment.",
        "Talked around it; little access to feeling today.",
        "Named the situation but not what was wanted from it.",
    ),
    Movement.SOME_MOVEMENT: (
        "Named the pattern with their sister as it happened.",
        "Noticed the pull to withdraw and stayed a little longer.",
        "Linked this week's episode to the earlier one without prompting.",
        "Said what they needed once, then took it back.",
    ),
    Movement.CLEAR_MOVEMENT: (
        "Asked a colleague for help and could bear waiting for the answer.",
        "Stayed with the anger in the room instead of turning it on themselves.",
        "Named two patterns this week and what each protected against.",
        "Told their partner what they wanted, and it went better than feared.",
    ),
}
HAPPENED = (
    "Began with the week at work; moved to the weekend with family.",
    "Long silence at the start, then spoke about the anniversary coming up.",
    "Returned to last session's dream and what it might be about.",
    "Spoke of the coming break and what it stirs up.",
    "Brought an argument with their partner; we traced its sequence.",
    "Talked about a friend who had not been in touch.",
)
NEXT_TIME = (
    "Return to the argument and what was hoped for.",
    "Notice how the break is spoken about.",
    "Keep the link to the early experience in view.",
    "Follow up on the conversation with the sister.",
)
PROCESS = (
    "A pull to reassure again; I held back and the silence was bearable.",
    "Felt tired in the second half, as if carrying the session. Worth watching.",
    "Wondered whether the lateness is about last week's interpretation.",
)
# Who the episodes are about, and the healthier answers that appear as therapy helps.
OTHERS = (Other.PARTNER, Other.PARENT, Other.SIBLING, Other.COLLEAGUE, Other.FRIEND)
DEFAULT_CCRT = ("To be seen and taken seriously.", "Is busy and does not notice.", "Goes quiet and withdraws.")
NEW_RESPONSES = ("Said what they needed, and waited.", "Felt hurt but stayed in contact.")
NEW_OTHERS = ("Listened, and asked more.", "Was surprised, then helped.")
# The defenses of the year: the less adaptive early, the mature ones growing (DMRS levels 1-7).
EARLY = ("Denial", "Devaluation", "Projection", "Passive aggression", "Rationalization")
LATE = ("Self-observation", "Humour", "Suppression", "Anticipation", "Affiliation", "Self-assertion")
INTENSITIES = ("low", "significant", "very_significant")


@dataclass
class History:
    """What was built, for the caller (and tests) to check."""

    plan: TreatmentPlan
    sessions: list[TherapySession] = field(default_factory=list)
    notes: list[ProgressNote] = field(default_factory=list)


@dataclass
class _Plan:
    """The plan's items a note chooses from, read once."""

    objectives: list[Objective]
    interventions: list[Intervention]
    conflicts: list[CoreConflict]
    defenses: list[DefenseMechanism]
    catalogue: dict[str, DefenseMechanism]
    ccrt: tuple[str, str, str]


def _items(plan: TreatmentPlan) -> _Plan:
    formulation = plan.formulation
    named = {
        d.name: d for d in DefenseMechanism.objects.available_to(plan.client.practice_id).filter(name__in=EARLY + LATE)
    }
    ccrt = (formulation.ccrt_wish, formulation.ccrt_response_of_other, formulation.ccrt_response_of_self)
    return _Plan(
        objectives=list(
            Objective.objects.current()
            .filter(goal__plan=plan, goal__removed_at__isnull=True)
            .order_by("goal__order", "order", "pk")
        ),
        interventions=list(Intervention.objects.current().filter(plan=plan).order_by("order", "pk")),
        conflicts=list(CoreConflict.objects.current().filter(formulation=formulation)),
        defenses=[
            o.mechanism for o in formulation.defenses.filter(removed_at__isnull=True).select_related("mechanism")
        ],
        catalogue=named,
        ccrt=tuple(part.strip()[:300] for part in ccrt) if all(p.strip() for p in ccrt) else DEFAULT_CCRT,
    )


def _schedule(rng: random.Random, weeks: int, until: dt.date) -> list[tuple[dt.date, dt.time]]:
    """One session a week in a regular slot, ending on the last working day before `until`."""
    weekday, slot = rng.choice(WORKING_DAYS), rng.choice(SLOTS)
    last = until - dt.timedelta(days=1)
    while last.weekday() != weekday:
        last -= dt.timedelta(days=1)
    dates = []
    for week in range(weeks):
        date, time = last - dt.timedelta(weeks=weeks - 1 - week), slot
        if rng.random() < 0.08 and week not in (0, weeks - 1):
            # Now and then moved to the next working day or by an hour, as diaries do.
            date += dt.timedelta(days=1 if date.weekday() < 4 else -1)
        elif rng.random() < 0.08:
            time = dt.time(min(slot.hour + 1, 18), slot.minute)
        dates.append((date, time))
    return dates


def _attendance(rng: random.Random, weeks: int, keep: set[int]) -> dict[int, tuple[str, str]]:
    """Which weeks did not happen, and why: about one late cancellation in 17, a no-show a year,
    and a session cancelled by the clinician every forty weeks or so."""
    free = [w for w in range(2, weeks - 1) if w not in keep]
    rng.shuffle(free)
    wanted = [(Attendance.LATE_CANCELLATION, LATE_CANCELLATIONS)] * max(1, weeks // 17)
    wanted += [(Attendance.NO_SHOW, (NO_SHOW,))] * max(1, weeks // 52)
    wanted += [(Attendance.CANCELLED_BY_CLINICIAN, CLINICIAN_CANCELLATIONS)] * max(1, weeks // 40)
    missed = {}
    for (attendance, reasons), week in zip(wanted, free, strict=False):  # a short history misses fewer
        missed[week] = (attendance, rng.choice(reasons))
    return missed


def _movement(rng: random.Random, progress: float) -> str:
    """Early notes mostly unrated or no change; later, movement (with the odd bad week)."""
    roll = rng.random()
    if roll < 0.07:
        return Movement.WORSE
    if roll < 0.25:
        return Movement.NOT_RATED
    if roll < 0.25 + 0.5 * (1 - progress):
        return Movement.NO_CHANGE
    return Movement.CLEAR_MOVEMENT if rng.random() < progress else Movement.SOME_MOVEMENT


def _objectives(rng: random.Random, items: _Plan, progress: float, drifting: bool) -> list[dict]:
    choices = items.objectives[:-1] if drifting and len(items.objectives) > 1 else items.objectives
    chosen = rng.sample(choices, min(len(choices), rng.choice((1, 1, 2))))
    rows = []
    for objective in chosen:
        movement = _movement(rng, progress)
        evidence = rng.choice(EVIDENCE[movement or Movement.NO_CHANGE])
        rows.append({"objective": objective, "evidence": evidence, "movement": movement})
    return rows


def _defenses(rng: random.Random, items: _Plan, progress: float) -> list[dict]:
    """The formulation's own defenses, less often as the year goes on, with early and mature ones
    in proportion to how far therapy has come: the weighted DMRS mean rises."""
    rows = {}
    for mechanism in items.defenses:
        if rng.random() < 0.9 - 0.4 * progress:
            rows[mechanism.pk] = {"mechanism": mechanism, "count": rng.randint(1, 3 if progress < 0.5 else 2)}
    early = [items.catalogue[n] for n in EARLY if n in items.catalogue]
    late = [items.catalogue[n] for n in LATE if n in items.catalogue]
    if early and rng.random() < 0.8 - 0.7 * progress:
        mechanism = rng.choice(early)
        rows[mechanism.pk] = {"mechanism": mechanism, "count": rng.randint(1, 3)}
    if late and rng.random() < 0.15 + 0.8 * progress:
        for mechanism in rng.sample(late, 1 + (progress > 0.6)):
            rows[mechanism.pk] = {"mechanism": mechanism, "count": max(1, round(1 + 3 * progress * rng.random()))}
    if not rows and (items.defenses or late):
        # Every note observes something, so each session has a defensive functioning.
        mechanism = (items.defenses or late)[0]
        rows[mechanism.pk] = {"mechanism": mechanism, "count": 1}
    return list(rows.values())


def _conflicts(rng: random.Random, items: _Plan, progress: float) -> list[dict]:
    rows = []
    for conflict in items.conflicts:
        if rng.random() < 0.85:
            # The formulation's intensity, easing a step as therapy helps.
            level = INTENSITIES.index(conflict.intensity) if conflict.intensity in INTENSITIES else 1
            if rng.random() < progress * 0.7:
                level = max(0, level - 1)
            rows.append({"conflict": conflict, "intensity": INTENSITIES[level]})
    return rows


def _episodes(rng: random.Random, items: _Plan, progress: float, index: int) -> list[dict]:
    wish, other_response, self_response = items.ccrt
    episodes = []
    for _ in range(rng.choice((0, 1, 1, 2))):
        self_says = rng.choice(NEW_RESPONSES) if rng.random() < progress * 0.5 else self_response
        other_says = rng.choice(NEW_OTHERS) if rng.random() < progress * 0.3 else other_response
        episodes.append(
            {"other": rng.choice(OTHERS), "wish": wish, "response_of_other": other_says, "response_of_self": self_says}
        )
    if index % 7 == 3:
        episodes.append(
            {
                "other": Other.THERAPIST,
                "wish": wish,
                "response_of_other": "Expects the therapist to tire of them.",
                "response_of_self": "Apologises and says it does not matter.",
            }
        )
    return episodes


def _interventions(rng: random.Random, items: _Plan) -> list[Intervention]:
    if not items.interventions:
        return []
    return rng.sample(items.interventions, min(len(items.interventions), rng.choice((1, 2))))


def _after(session: TherapySession, minutes: int) -> dt.datetime:
    return session.starts_at + dt.timedelta(minutes=minutes)


def build_history(
    plan: TreatmentPlan, *, weeks: int = 52, until: dt.date | None = None, seed: int = 14, process_notes: bool = True
) -> History:
    """Record `weeks` weekly sessions of `plan`'s client, the last on the working day before `until`
    (default: the practice's today), each attended one with its note, signed hours after it."""
    client = plan.client
    actor = client.primary_clinician
    rng = random.Random(f"{seed}:{client.chart_number}")  # noqa: S311 - synthetic data, not security
    until = until or client.practice.today()
    items = _items(plan)
    service_types = {s.code: s for s in ServiceType.objects.available_to(client.practice_id)}
    stale = weeks - 1 - STALE_DRAFT_WEEKS_AGO
    missed = _attendance(rng, weeks, keep={stale, weeks - 1})
    moderate_risk = weeks * 2 // 5
    while moderate_risk in missed:
        moderate_risk += 1
    history = History(plan=plan)
    attended = 0
    addenda_left = 2
    for week, (date, time) in enumerate(_schedule(rng, weeks, until)):
        attendance, reason = missed.get(week, (Attendance.ATTENDED, ""))
        intake = week == 0
        session = services.record_session(
            actor=actor,
            client=client,
            date=date,
            start_time=time,
            duration_minutes=75 if intake else 50,
            service_type=service_types["intake" if intake else "individual"],
            modality=rng.choices(
                (TherapySession.Modality.IN_PERSON, TherapySession.Modality.VIDEO, TherapySession.Modality.TELEPHONE),
                (80, 17, 3),
            )[0],
            attendance=attendance,
            reason=reason,
        )
        history.sessions.append(session)
        if attendance != Attendance.ATTENDED:
            continue
        progress = week / max(1, weeks - 1)
        risky = week == moderate_risk
        note = services.save_note(
            actor=actor,
            session=session,
            objectives=_objectives(rng, items, progress, drifting=week >= weeks - DRIFT_WEEKS),
            interventions=_interventions(rng, items),
            conflicts=_conflicts(rng, items, progress),
            defenses=_defenses(rng, items, progress),
            episodes=_episodes(rng, items, progress, attended),
            risk=ProgressNote.Risk.MODERATE if risky else ProgressNote.Risk.NONE,
            safety_plan=(
                "Passive thoughts of not waking up after the rejection letter; no plan or intent. Agreed: "
                "call the sister or the crisis line (988) if thoughts sharpen; a check-in call on Thursday."
                if risky
                else ""
            ),
            what_happened="Intake: history, presenting problem and consent." if intake else rng.choice(HAPPENED),
            plan_for_next_time=rng.choice(NEXT_TIME),
        )
        attended += 1
        history.notes.append(note)
        signed_at = _after(session, session.duration_minutes + rng.randint(60, 300))
        if week in (stale, weeks - 1) or signed_at > timezone.now():
            continue  # left as a draft: the dashboard's unsigned-note flag has something to show
        with services.synthetic_signing_time(signed_at):
            services.sign_note(actor=actor, note=note)
        if addenda_left and (risky or week in (weeks // 3, weeks * 2 // 3)):
            written_at = signed_at + dt.timedelta(days=1, hours=rng.randint(0, 4))
            if written_at < timezone.now():
                addenda_left -= 1
                with services.synthetic_signing_time(written_at):
                    services.add_addendum(
                        actor=actor,
                        note=note,
                        text="Correction: the check-in call was on Friday, not Thursday."
                        if risky
                        else "Addition: the client phoned the next day to say the session had stayed with them.",
                    )
        if process_notes and attended % 9 == 4:
            services.write_process_note(actor=actor, client=client, session=session, text=rng.choice(PROCESS))
    return history
