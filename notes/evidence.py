"""The evidence the notes hold for a plan since a date: what a progress review rates with in view,
what the plan page flags as drifting and what the clinical PDF's progress summary prints.

Every read here costs a fixed number of queries whatever the number of sessions (the review form
and the plan page assert it). Only signed notes count as evidence: a draft is working text that may
still change, so it is counted (the reader is told how many drafts were left out) but its lines,
marks, episodes and defenses are not. The objectives are matched by lineage, so a note written
against an earlier version of the plan still counts for the same objective in its amendment.

Nothing here is written anywhere: it is material for the clinician, who decides every rating.
"""

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from formulation.models import DefenseMechanism
from notes.models import (
    NoteDefense,
    NoteObjective,
    ProgressNote,
    RelationshipEpisode,
    TherapySession,
    defensive_functioning,
)
from plans.models import Objective, TreatmentPlan

# A trend slower than this (DMRS levels per 30 days) reads as steady rather than rising or falling.
STEADY_SLOPE_PER_MONTH = 0.1
TOP_DEFENSES = 5
# Two sessions make a line, not a trend: fewer points than this report none.
MIN_POINTS_FOR_TREND = 3


# ---- where "since the last review" starts -------------------------------------------------------
# notes sits below progress, which owns the reviews: progress tells notes when the plan's last review
# was completed (registered in ProgressConfig.ready()). Without it, evidence runs from the plan's start.
_baselines: list[Callable[[TreatmentPlan], dt.date | None]] = []


def register_baseline(last_review_on: Callable[[TreatmentPlan], dt.date | None]) -> None:
    """Idempotent, so a second ready() does not register twice."""
    if last_review_on not in _baselines:
        _baselines.append(last_review_on)


def since_date(plan: TreatmentPlan) -> dt.date:
    """The day evidence starts: the last completed review of the plan's lineage, else its start."""
    found = [day for day in (baseline(plan) for baseline in _baselines) if day is not None]
    return max(found) if found else plan.start_date


def _start_of(plan: TreatmentPlan, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=plan.client.practice.tzinfo)


def normalised(text: str) -> str:
    """Episode text compared as the same theme whatever its case or spacing."""
    return " ".join(text.split()).casefold()


# ---- what the selectors return -------------------------------------------------------------------
@dataclass
class EvidenceLine:
    session: TherapySession
    evidence: str
    movement: str  # a NoteObjective.Movement value ("" when not rated)
    movement_label: str


@dataclass
class ObjectiveEvidence:
    objective: Objective
    lines: list[EvidenceLine]

    @property
    def drifting(self) -> bool:
        return not self.lines

    @property
    def movements(self) -> dict[str, int]:
        """How often each movement mark was given, best last, marks never given left out."""
        counts = Counter(line.movement_label for line in self.lines if line.movement)
        order = [label for value, label in NoteObjective.Movement.choices if value]
        return {label: counts[label] for label in order if counts[label]}


@dataclass
class Theme:
    """One wording of an episode component and how many episodes used it."""

    text: str  # as first written
    count: int

    @property
    def recurring(self) -> bool:
        return self.count > 1


@dataclass
class EpisodeGroups:
    episodes: list[RelationshipEpisode]
    wishes: list[Theme]
    responses_of_other: list[Theme]
    responses_of_self: list[Theme]

    @property
    def recurring(self) -> bool:
        return any(t.recurring for t in (*self.wishes, *self.responses_of_other, *self.responses_of_self))

    def headed(self) -> list[tuple[str, list[Theme]]]:
        return [
            ("Wishes", self.wishes),
            ("Responses of other", self.responses_of_other),
            ("Responses of self", self.responses_of_self),
        ]

    def suggested(self) -> dict[str, str]:
        """The most frequent wording of each component: a suggestion for the CCRT, never filled in."""
        return {
            "wish": self.wishes[0].text if self.wishes else "",
            "response_of_other": self.responses_of_other[0].text if self.responses_of_other else "",
            "response_of_self": self.responses_of_self[0].text if self.responses_of_self else "",
        }


@dataclass
class SessionFunctioning:
    session: TherapySession
    level: float


@dataclass
class DefenseCount:
    mechanism: DefenseMechanism
    times: int


@dataclass
class Functioning:
    points: list[SessionFunctioning]
    slope_per_month: float | None  # least squares, DMRS levels per 30 days
    top_defenses: list[DefenseCount]

    @property
    def trend(self) -> str:
        if self.slope_per_month is None:
            return "not enough sessions for a trend"
        if abs(self.slope_per_month) < STEADY_SLOPE_PER_MONTH:
            return "steady"
        return "rising" if self.slope_per_month > 0 else "falling"

    @property
    def mean(self) -> float | None:
        return round(sum(p.level for p in self.points) / len(self.points), 2) if self.points else None


@dataclass
class PlanEvidence:
    since: dt.date
    sessions: list[TherapySession]  # all since the date, oldest first
    attendance: list[tuple[str, int]]  # (label, count) for every attendance, in the enum's order
    drafts_left_out: int  # attended sessions whose note is a draft (or not yet written)
    objectives: list[ObjectiveEvidence]
    relational: EpisodeGroups  # episodes with someone other than the therapist
    transference: EpisodeGroups  # episodes with the therapist
    functioning: Functioning

    @property
    def held(self) -> int:
        return sum(1 for s in self.sessions if s.took_place)

    @property
    def drifting(self) -> list[ObjectiveEvidence]:
        return [o for o in self.objectives if o.drifting]


# ---- the selectors -------------------------------------------------------------------------------
def sessions_since(plan: TreatmentPlan, since: dt.date, *, user=None) -> list[TherapySession]:
    """The client's sessions on this plan's lineage from `since` on, oldest first, with their notes.
    One query (plus the door's when a `user` is given)."""
    sessions = TherapySession.objects.visible_to(user) if user is not None else TherapySession.objects.all()
    return list(
        sessions.filter(client_id=plan.client_id, plan__lineage=plan.lineage, starts_at__gte=_start_of(plan, since))
        .select_related("note")
        .order_by("starts_at", "pk")
    )


def _signed_note_ids(sessions: Iterable[TherapySession]) -> list[int]:
    ids = []
    for session in sessions:
        note = getattr(session, "note", None) if session.took_place else None
        if note is not None and note.status == ProgressNote.Status.SIGNED:
            ids.append(note.pk)
    return ids


def objective_evidence(
    objectives: list[Objective], sessions: list[TherapySession], note_ids: list[int]
) -> list[ObjectiveEvidence]:
    """Per objective, the signed notes' lines about it, oldest first. One query."""
    by_session = {s.pk: s for s in sessions}
    rows = (
        NoteObjective.objects.filter(note_id__in=note_ids)
        .select_related("objective", "note")
        .order_by("note__session__starts_at", "pk")
    )
    by_lineage: dict = {}
    for row in rows:
        by_lineage.setdefault(row.objective.lineage, []).append(
            EvidenceLine(by_session[row.note.session_id], row.evidence, row.movement, row.get_movement_display())
        )
    return [ObjectiveEvidence(o, by_lineage.get(o.lineage, [])) for o in objectives]


def _themes(texts: Iterable[str]) -> list[Theme]:
    first: dict[str, str] = {}
    counts: Counter = Counter()
    for text in texts:
        key = normalised(text)
        first.setdefault(key, " ".join(text.split()))
        counts[key] += 1
    # Most frequent first; ties in the order they were first told.
    order = list(first)
    return [Theme(first[k], counts[k]) for k in sorted(order, key=lambda k: (-counts[k], order.index(k)))]


def group_episodes(episodes: list[RelationshipEpisode]) -> EpisodeGroups:
    return EpisodeGroups(
        episodes=episodes,
        wishes=_themes(e.wish for e in episodes),
        responses_of_other=_themes(e.response_of_other for e in episodes),
        responses_of_self=_themes(e.response_of_self for e in episodes),
    )


def episodes_of(note_ids: list[int]) -> tuple[EpisodeGroups, EpisodeGroups]:
    """(episodes with others, transference episodes), each grouped by component. One query."""
    episodes = list(
        RelationshipEpisode.objects.filter(note_id__in=note_ids)
        .select_related("note__session")
        .order_by("note__session__starts_at", "order", "pk")
    )
    return (
        group_episodes([e for e in episodes if not e.is_transference]),
        group_episodes([e for e in episodes if e.is_transference]),
    )


def least_squares_slope(points: list[tuple[float, float]]) -> float | None:
    """The slope of the least-squares line through (x, y) points; None for fewer than two distinct x."""
    if len({x for x, _ in points}) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def functioning_of(sessions: list[TherapySession], note_ids: list[int]) -> Functioning:
    """Defensive functioning per session with a signed note that observed defenses, its trend and the
    defenses seen most often (weighted by their counts). One query."""
    rows = NoteDefense.objects.filter(note_id__in=note_ids).select_related("mechanism", "note")
    per_note: dict[int, list[tuple[int, int | None]]] = {}
    times: Counter = Counter()
    mechanisms: dict[int, DefenseMechanism] = {}
    for row in rows:
        per_note.setdefault(row.note_id, []).append((row.mechanism.level, row.count))
        times[row.mechanism_id] += 1 if row.count is None else row.count
        mechanisms[row.mechanism_id] = row.mechanism
    points = []
    for session in sessions:
        note = getattr(session, "note", None) if session.took_place else None
        if note is not None and note.pk in per_note:
            points.append(SessionFunctioning(session, defensive_functioning(per_note[note.pk])))
    slope = None
    if len(points) >= MIN_POINTS_FOR_TREND:
        first = points[0].session.starts_at
        per_day = least_squares_slope(
            [((p.session.starts_at - first).total_seconds() / 86400, p.level) for p in points]
        )
        slope = None if per_day is None else round(per_day * 30, 3)
    top = sorted(times.items(), key=lambda item: (-item[1], -mechanisms[item[0]].level, mechanisms[item[0]].name))
    return Functioning(points, slope, [DefenseCount(mechanisms[pk], n) for pk, n in top[:TOP_DEFENSES]])


def plan_evidence(
    plan: TreatmentPlan, *, objectives: list[Objective], since: dt.date | None = None, user=None
) -> PlanEvidence:
    """Everything the notes say about `plan` (its lineage) since `since` (default: the last review):
    five queries, whatever the number of sessions. `objectives` are the version's current ones."""
    since = since or since_date(plan)
    sessions = sessions_since(plan, since, user=user)
    note_ids = _signed_note_ids(sessions)
    counts = Counter(s.attendance for s in sessions)
    relational, transference = episodes_of(note_ids)
    return PlanEvidence(
        since=since,
        sessions=sessions,
        attendance=[(label, counts[value]) for value, label in TherapySession.Attendance.choices],
        drafts_left_out=sum(1 for s in sessions if s.took_place) - len(note_ids),
        objectives=objective_evidence(objectives, sessions, note_ids),
        relational=relational,
        transference=transference,
        functioning=functioning_of(sessions, note_ids),
    )


# ---- drift on the plan page (registered with plans in NotesConfig.ready()) ----------------------
@dataclass
class DriftFlags:
    since: dt.date
    objective_ids: set[int] = field(default_factory=set)

    def message(self) -> str:
        return f"Not worked on in any session since {self.since:%Y-%m-%d}"


def drift_flags(*, plan: TreatmentPlan, objectives: list[Objective]) -> DriftFlags | None:
    """The current objectives no signed note has worked on since the last review (or the plan's start):
    one query (plus the baseline's). None for a plan not in force, where drift means nothing."""
    if plan.status != TreatmentPlan.Status.ACTIVE or not objectives:
        return None
    since = since_date(plan)
    worked = set(
        NoteObjective.objects.filter(
            note__status=ProgressNote.Status.SIGNED,
            note__session__client_id=plan.client_id,
            note__session__plan__lineage=plan.lineage,
            note__session__starts_at__gte=_start_of(plan, since),
        ).values_list("objective__lineage", flat=True)
    )
    return DriftFlags(since, {o.pk for o in objectives if o.lineage not in worked})
