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
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import BooleanField, Case, Count, F, Q, Sum, Value, When, Window
from django.db.models.functions import Coalesce, RowNumber

from formulation.models import DefenseMechanism
from notes.models import (
    NoteDefense,
    NoteObjective,
    ProgressNote,
    RelationshipEpisode,
    TherapySession,
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
# A review with no earlier review covers everything since the plan's start, which after two years of
# weekly sessions is a hundred notes. Counts, movements, themes, the trend and the defenses seen most
# are aggregated in the database over the whole period; what is listed line by line is capped at the
# latest few, so the page costs the same whatever the length of the period (issue 17).
LINES_SHOWN = 8  # per objective: the latest evidence lines, oldest of them first
THEMES_SHOWN = 8  # per episode component: the most frequent wordings
POINTS_LISTED = 26  # the functioning table's latest sessions (half a year weekly); the chart shows all


@dataclass
class EvidenceLine:
    session: TherapySession
    evidence: str
    movement: str  # a NoteObjective.Movement value ("" when not rated)
    movement_label: str


@dataclass
class ObjectiveEvidence:
    objective: Objective
    lines: list[EvidenceLine]  # the latest LINES_SHOWN, oldest first
    count: int = 0  # every signed note's line about it in the period
    movement_counts: dict[str, int] = field(default_factory=dict)  # movement value -> times given

    @property
    def drifting(self) -> bool:
        return not self.count

    @property
    def lines_left_out(self) -> int:
        return self.count - len(self.lines)

    @property
    def movements(self) -> dict[str, int]:
        """How often each movement mark was given, best last, marks never given left out."""
        return {
            label: self.movement_counts[value]
            for value, label in NoteObjective.Movement.choices
            if value and self.movement_counts.get(value)
        }


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
    count: int  # episodes in the period
    wishes: list[Theme]  # each the THEMES_SHOWN most frequent, most frequent first
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
    on: dt.date  # the session's day where it took place
    level: float


@dataclass
class DefenseCount:
    mechanism: DefenseMechanism
    times: int


@dataclass
class Functioning:
    points: list[SessionFunctioning]  # every session with a signed note that observed defenses, oldest first
    slope_per_month: float | None  # least squares, DMRS levels per 30 days
    top_defenses: list[DefenseCount]

    @property
    def listed(self) -> list[SessionFunctioning]:
        """The table's rows: the latest POINTS_LISTED sessions (the chart draws them all)."""
        return self.points[-POINTS_LISTED:]

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
    attendance: list[tuple[str, int]]  # (label, count) for every attendance, in the enum's order
    held: int  # attended sessions
    drafts_left_out: int  # attended sessions whose note is a draft (or not yet written)
    objectives: list[ObjectiveEvidence]
    relational: EpisodeGroups  # episodes with someone other than the therapist
    transference: EpisodeGroups  # episodes with the therapist
    functioning: Functioning

    @property
    def sessions(self) -> int:
        return sum(count for _, count in self.attendance)

    @property
    def drifting(self) -> list[ObjectiveEvidence]:
        return [o for o in self.objectives if o.drifting]


# ---- the selectors -------------------------------------------------------------------------------
def _sessions(plan: TreatmentPlan, since: dt.date, user=None):
    """The client's sessions on this plan's lineage from `since` on (through the door for a `user`)."""
    sessions = TherapySession.objects.visible_to(user) if user is not None else TherapySession.objects.all()
    return sessions.filter(client_id=plan.client_id, plan__lineage=plan.lineage, starts_at__gte=_start_of(plan, since))


def _signed_notes(sessions) -> dict:
    """A filter for note parts: their note is signed and its session attended and among `sessions`."""
    return {
        "note__status": ProgressNote.Status.SIGNED,
        "note__session__attendance": TherapySession.Attendance.ATTENDED,
        "note__session__in": sessions.values("pk"),
    }


def attendance_of(sessions) -> tuple[list[tuple[str, int]], int, int]:
    """(label, count) per attendance, the attended sessions and those among them with a signed note.
    One query."""
    rows = sessions.values("attendance").annotate(
        n=Count("pk"), signed=Count("pk", filter=Q(note__status=ProgressNote.Status.SIGNED))
    )
    counts = {row["attendance"]: (row["n"], row["signed"]) for row in rows.order_by()}
    held, signed = counts.get(TherapySession.Attendance.ATTENDED, (0, 0))
    return [(label, counts.get(value, (0, 0))[0]) for value, label in TherapySession.Attendance.choices], held, signed


def objective_evidence(objectives: list[Objective], sessions) -> list[ObjectiveEvidence]:
    """Per objective (by lineage), how many signed notes worked on it and with which movement (one
    aggregate), and its latest LINES_SHOWN lines, oldest of them first (one query)."""
    parts = NoteObjective.objects.filter(**_signed_notes(sessions))
    counts: dict = {}
    for row in parts.values("objective__lineage", "movement").annotate(n=Count("pk")).order_by():
        counts.setdefault(row["objective__lineage"], {})[row["movement"]] = row["n"]
    latest = (
        parts.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("objective__lineage")],
                order_by=[F("note__session__starts_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank__lte=LINES_SHOWN)
        .select_related("objective", "note__session")
        .order_by("note__session__starts_at", "pk")
    )
    lines: dict = {}
    for row in latest:
        lines.setdefault(row.objective.lineage, []).append(
            EvidenceLine(row.note.session, row.evidence, row.movement, row.get_movement_display())
        )
    return [
        ObjectiveEvidence(
            o,
            lines.get(o.lineage, []),
            count=sum(counts.get(o.lineage, {}).values()),
            movement_counts=counts.get(o.lineage, {}),
        )
        for o in objectives
    ]


_TOLD = [F("note__session__starts_at").asc(), F("order").asc(), F("pk").asc()]


def _themes(episodes, component: str) -> tuple[list[Theme], list[Theme]]:
    """(relational, transference) wordings of one component, grouped by normalised text, each with
    how many episodes used it, most frequent first and ties in the order they were first told, as
    first written. The database counts each exact wording and finds where it was first told (one
    row per wording, no instances); the wordings that differ only in case or spacing are then
    joined here, over the distinct wordings rather than the episodes. One query."""
    exact = [F("transference"), F(component)]
    rows = (
        episodes.annotate(
            transference=Case(
                When(other=RelationshipEpisode.Other.THERAPIST, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .annotate(
            n=Window(Count("pk"), partition_by=exact),
            first=Window(RowNumber(), partition_by=exact, order_by=_TOLD),
        )
        .filter(first=1)
        .order_by("note__session__starts_at", "order", "pk")  # where each wording was first told
        .values_list("transference", component, "n")
    )
    sides: tuple[dict[str, Theme], dict[str, Theme]] = ({}, {})
    for is_transference, text, n in rows:
        themes = sides[1 if is_transference else 0]
        key = normalised(text)
        if key in themes:
            themes[key].count += n
        else:
            themes[key] = Theme(" ".join(text.split()), n)
    # Most frequent first; ties in the order they were first told (sorted() keeps that order).
    relational, transference = (sorted(themes.values(), key=lambda t: -t.count) for themes in sides)
    return relational, transference


def episodes_of(sessions) -> tuple[EpisodeGroups, EpisodeGroups]:
    """(episodes with others, transference episodes), each grouped by component, the THEMES_SHOWN
    most frequent wordings of each listed. Three queries, one per component."""
    episodes = RelationshipEpisode.objects.filter(**_signed_notes(sessions))
    components = {c: _themes(episodes, c) for c in ("wish", "response_of_other", "response_of_self")}
    return tuple(
        EpisodeGroups(
            # Every episode has exactly one wish wording, so the wishes' counts add up to the episodes.
            count=sum(theme.count for theme in components["wish"][side]),
            wishes=components["wish"][side][:THEMES_SHOWN],
            responses_of_other=components["response_of_other"][side][:THEMES_SHOWN],
            responses_of_self=components["response_of_self"][side][:THEMES_SHOWN],
        )
        for side in (0, 1)
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


def functioning_of(sessions) -> Functioning:
    """Defensive functioning per session with a signed note that observed defenses (the weighted mean
    level computed in the database, one row per session), its trend, and the defenses seen most often
    weighted by their counts (one aggregate). Two queries."""
    defenses = NoteDefense.objects.filter(**_signed_notes(sessions))
    seen = Coalesce("count", Value(1))
    per_session = (
        defenses.values("note__session__starts_at", "note__session__timezone", "note__session_id")
        .annotate(weighted=Sum(F("mechanism__level") * seen), weight=Sum(seen))
        .order_by("note__session__starts_at", "note__session_id")
        .values_list("note__session__starts_at", "note__session__timezone", "weighted", "weight")
    )
    zones: dict[str, zoneinfo.ZoneInfo] = {}
    points, xy = [], []
    first = None
    for starts_at, zone, weighted, weight in per_session:
        if not weight:
            continue
        tz = zones.get(zone) or zones.setdefault(zone, zoneinfo.ZoneInfo(zone))
        level = round(weighted / weight, 2)
        points.append(SessionFunctioning(starts_at.astimezone(tz).date(), level))
        first = first or starts_at
        xy.append(((starts_at - first).total_seconds() / 86400, level))
    slope = None
    if len(points) >= MIN_POINTS_FOR_TREND:
        per_day = least_squares_slope(xy)
        slope = None if per_day is None else round(per_day * 30, 3)
    top = (
        defenses.values("mechanism", "mechanism__name", "mechanism__level")
        .annotate(times=Sum(seen))
        .order_by("-times", "-mechanism__level", "mechanism__name")[:TOP_DEFENSES]
    )
    return Functioning(
        points,
        slope,
        [
            # What the page names of each mechanism, read with the counts (no second query).
            DefenseCount(
                DefenseMechanism(pk=row["mechanism"], name=row["mechanism__name"], level=row["mechanism__level"]),
                row["times"],
            )
            for row in top
        ],
    )


def plan_evidence(
    plan: TreatmentPlan, *, objectives: list[Objective], since: dt.date | None = None, user=None
) -> PlanEvidence:
    """Everything the notes say about `plan` (its lineage) since `since` (default: the last review),
    in a fixed number of queries whatever the number of sessions. `objectives` are the version's
    current ones."""
    since = since or since_date(plan)
    sessions = _sessions(plan, since, user)
    attendance, held, signed = attendance_of(sessions)
    relational, transference = episodes_of(sessions)
    return PlanEvidence(
        since=since,
        attendance=attendance,
        held=held,
        drafts_left_out=held - signed,
        objectives=objective_evidence(objectives, sessions),
        relational=relational,
        transference=transference,
        functioning=functioning_of(sessions),
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
