"""The reads of sessions and notes that pages, the dashboard and tasks share."""

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts import policy
from accounts.models import User
from formulation.models import CoreConflict, DefenseMechanism
from notes.models import ProgressNote, TherapySession
from plans.models import Intervention, Objective

UNSIGNED_AFTER_HOURS = 72


def notes_unsigned_after(user: User, hours: int = UNSIGNED_AFTER_HOURS, *, now: dt.datetime | None = None):
    """The user's own attended sessions that began more than `hours` ago and have no signed note
    (a draft, or none written yet), oldest first: what the dashboard flags and the reminder names."""
    cutoff = (now or timezone.now()) - dt.timedelta(hours=hours)
    return (
        TherapySession.objects.editable_by(user)
        .attended()
        .filter(clinician=user, starts_at__lt=cutoff)
        .filter(Q(note__isnull=True) | Q(note__status=ProgressNote.Status.DRAFT))
        .select_related("client", "service_type")
        .order_by("starts_at", "pk")
    )


def clinicians_with_unsigned_notes(hours: int = UNSIGNED_AFTER_HOURS, *, now: dt.datetime | None = None) -> list[int]:
    """The ids of everyone who has a note unsigned `hours` after its session (for the daily reminder)."""
    cutoff = (now or timezone.now()) - dt.timedelta(hours=hours)
    return sorted(
        set(
            TherapySession.objects.attended()
            .filter(starts_at__lt=cutoff, clinician__is_active=True)
            .filter(Q(note__isnull=True) | Q(note__status=ProgressNote.Status.DRAFT))
            .values_list("clinician_id", flat=True)
        )
    )


def risk_flags(user: User):
    """Notes with a moderate or high risk check for the user's dashboard: their own, and as a
    supervisor their current supervisees'. An admin's oversight of the whole practice is not a flag."""
    return (
        ProgressNote.objects.visible_to(user)
        .filter(risk__in=ProgressNote.FLAGGED_RISKS)
        .filter(Q(author=user) | Q(author_id__in=policy.supervisee_ids(user)))
        .select_related("session__client")
        .order_by("-session__starts_at", "-pk")
    )


# --- The pages' reads ---------------------------------------------------------------


class NoteState(models.TextChoices):
    """Where a session's note stands, as the session history shows it."""

    NOT_NEEDED = "not_needed", "No note needed"
    NONE = "none", "None yet"
    DRAFT = "draft", "Draft"
    OVERDUE = "overdue", f"Unsigned > {UNSIGNED_AFTER_HOURS} h"
    SIGNED = "signed", "Signed"


@dataclass(frozen=True)
class SessionRow:
    """One row of a session table, with what it shows already put in words: the table renders each
    value as it is, so a row costs a few attribute reads, not a URL reversed, a date formatted and
    choices looked up in the template for every session (issue 17)."""

    session: TherapySession
    note: ProgressNote | None
    state: NoteState
    url: str
    starts: str  # the session's local date and time, "YYYY-MM-DD HH:MM"
    attendance: str
    modality: str
    service: str
    risk: str  # the note's risk when it is flagged, else ""

    @property
    def risk_flagged(self) -> bool:
        return self.note is not None and self.note.risk_flagged


def note_state(session: TherapySession, note: ProgressNote | None, *, now: dt.datetime) -> NoteState:
    if not session.took_place:
        return NoteState.NOT_NEEDED
    if note is not None and note.is_signed:
        return NoteState.SIGNED
    if session.starts_at < now - dt.timedelta(hours=UNSIGNED_AFTER_HOURS):
        return NoteState.OVERDUE
    return NoteState.DRAFT if note is not None else NoteState.NONE


def _note_of(session: TherapySession) -> ProgressNote | None:
    try:
        return session.note
    except ProgressNote.DoesNotExist:
        return None


def _detail_url():
    """The session page's URL for a session id: reversed once per table rather than once per row."""
    marker = 987654321987654321
    head, _, tail = reverse("notes:session_detail", args=[marker]).partition(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


ATTENDANCE = dict(TherapySession.Attendance.choices)
MODALITY = dict(TherapySession.Modality.choices)
RISK = dict(ProgressNote.Risk.choices)


def session_rows(sessions, *, now: dt.datetime | None = None) -> list[SessionRow]:
    """Rows for a session table; `sessions` must select_related("note", "service_type") so the
    table costs one query."""
    now = now or timezone.now()
    url = _detail_url()
    rows = []
    for session in sessions:
        note = _note_of(session)
        rows.append(
            SessionRow(
                session=session,
                note=note,
                state=note_state(session, note, now=now),
                url=url(session.pk),
                starts=session.local_starts_at.strftime("%Y-%m-%d %H:%M"),
                attendance=ATTENDANCE.get(session.attendance, session.attendance),
                modality=MODALITY.get(session.modality, session.modality),
                service=session.service_type.name,
                risk=RISK.get(note.risk, note.risk) if note is not None and note.risk_flagged else "",
            )
        )
    return rows


def client_sessions(user: User, client_id: int):
    """A client's sessions the user may see, newest first, with what a history row shows."""
    return (
        TherapySession.objects.visible_to(user)
        .filter(client_id=client_id)
        .select_related("note", "service_type")
        # A row shows the note's state and risk, never its text: a long history need not carry it.
        .defer("note__safety_plan", "note__what_happened", "note__plan_for_next_time")
        .order_by("-starts_at", "-pk")
    )


@dataclass(frozen=True)
class SessionCounts:
    """What the session list says of the whole history, in one aggregate."""

    total: int
    attended: int
    signed: int
    newer: int  # sessions newer than the page shown (0 on the first page)


@dataclass(frozen=True)
class SessionPage:
    """One page of a client's session history, newest first, reached by keyset: `before` is the
    last session of the page above it, so a page costs the same however far back it is."""

    rows: list[SessionRow]
    counts: SessionCounts
    before: int | None  # the cursor this page was read from
    older: int | None  # the cursor of the next, older page; None on the last

    @property
    def first_shown(self) -> int:
        return self.counts.newer + 1 if self.rows else 0

    @property
    def last_shown(self) -> int:
        return self.counts.newer + len(self.rows)


def _older_than(sessions, before: int):
    """The sessions after `before` in newest-first order: earlier, or as early with a smaller id."""
    at = TherapySession.objects.filter(pk=before).values("starts_at")[:1]
    return sessions.filter(Q(starts_at__lt=models.Subquery(at)) | Q(starts_at=models.Subquery(at), pk__lt=before))


def session_page(user: User, client_id: int, *, before: int | None = None, size: int) -> SessionPage:
    """A page of `size` sessions older than the session `before` (from the newest without it), with
    the history's counts: two queries whatever the length of the history."""
    visible = TherapySession.objects.visible_to(user).filter(client_id=client_id)
    listed = client_sessions(user, client_id)
    counts = {
        "total": models.Count("pk"),
        "attended": models.Count("pk", filter=Q(attendance=TherapySession.Attendance.ATTENDED)),
        "signed": models.Count("pk", filter=Q(note__status=ProgressNote.Status.SIGNED)),
    }
    if before is not None:
        listed = _older_than(listed, before)
        # Newer than this page: the cursor and everything before it in the listing's order.
        counts["newer"] = models.Count("pk", filter=~Q(pk__in=_older_than(visible, before).values("pk")))
    sessions = list(listed[: size + 1])
    counted = {"newer": 0} | visible.aggregate(**counts)
    shown = sessions[:size]
    return SessionPage(
        rows=session_rows(shown),
        counts=SessionCounts(**counted),
        before=before,
        older=shown[-1].pk if len(sessions) > size else None,
    )


def plan_sessions_since(user: User, plan, *, limit: int = 5):
    """The last sessions of the plan's client since the plan took effect (its start date)."""
    sessions = client_sessions(user, plan.client_id)
    if plan.start_date:
        sessions = sessions.filter(starts_at__date__gte=plan.start_date)
    return sessions[:limit]


@dataclass(frozen=True)
class NoteChoices:
    """What a session's note may choose from: the current items of its plan version, and the DMRS
    catalogue grouped by level (most adaptive first)."""

    objectives: list
    interventions: list
    conflicts: list
    defense_levels: list[tuple[str, list]]


def note_choices(session: TherapySession) -> NoteChoices:
    plan_id = session.plan_id
    objectives = list(
        Objective.objects.current()
        .filter(goal__plan_id=plan_id, goal__removed_at__isnull=True)
        .select_related("goal")
        .order_by("goal__order", "order", "pk")
    )
    interventions = list(Intervention.objects.current().filter(plan_id=plan_id).select_related("technique"))
    conflicts = list(
        CoreConflict.objects.current().filter(formulation__plan_id=plan_id).select_related("conflict_type")
    )
    levels: dict[int, list] = {}
    for mechanism in DefenseMechanism.objects.available_to(session.client.practice_id).order_by("-level", "name"):
        levels.setdefault(mechanism.level, []).append(mechanism)
    labels = dict(DefenseMechanism.Level.choices)
    return NoteChoices(
        objectives=objectives,
        interventions=interventions,
        conflicts=conflicts,
        defense_levels=[(labels.get(level, str(level)), items) for level, items in levels.items()],
    )
