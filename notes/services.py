"""Recording sessions and writing, signing and adding to their progress notes.

Every function takes the acting user, fetches through the caseload door's `editable_by` (so only
the client's own clinician writes; supervisors and admins read, and admins never write), runs in
one transaction and records the act in the access log. Field problems are ValidationErrors keyed
by field, so a form, the API or a test can show them where they belong.
"""

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import policy
from accounts.models import User
from audit import log
from clients.models import Client
from core.dates import validate_clinical_date
from core.errors import StaleEditError
from formulation.models import CoreConflict, DefenseMechanism
from notes import canonical
from notes.models import (
    MAX_DURATION_MINUTES,
    MIN_DURATION_MINUTES,
    NoteAddendum,
    NoteConflict,
    NoteDefense,
    NoteIntervention,
    NoteObjective,
    NoteSignature,
    ProcessNote,
    ProcessNoteShare,
    ProgressNote,
    RelationshipEpisode,
    ServiceType,
    TherapySession,
)
from plans.models import Intervention, Objective, TreatmentPlan

PROCESS_NOTE_MAX_LENGTH = 20000
NOT_YOURS = "Only the client's clinician records sessions and writes their notes."
# What update_session changes: the session as entered (a date and a time in the practice's zone).
SESSION_CHANGES = ("date", "start_time", "duration_minutes", "modality", "attendance", "service_type", "reason")
Status = TreatmentPlan.Status


# The time signatures and addenda carry. Always the real time, except while a builder of synthetic
# history (demo/sessions.py: the demo data and the tests' long histories) dates them on the day
# they would have been written. Only demo/ and tests/ may set it (tests/notes/test_signing_clock.py);
# the access log keeps the real time of every act either way.
_synthetic_now: ContextVar[dt.datetime | None] = ContextVar("synthetic_now", default=None)


def _now() -> dt.datetime:
    return _synthetic_now.get() or timezone.now()


@contextmanager
def synthetic_signing_time(moment: dt.datetime) -> Iterator[None]:
    """Date the signatures and addenda written inside the block at `moment` (synthetic data only)."""
    if timezone.is_naive(moment) or moment > timezone.now():
        raise ValueError("A synthetic signing time is an aware moment that has already passed.")
    token = _synthetic_now.set(moment)
    try:
        yield
    finally:
        _synthetic_now.reset(token)


class NoteLockedError(PermissionDenied):
    """The note is signed; corrections are addenda."""


def _audit(actor: User, action: str, session: TherapySession, detail: str = "") -> None:
    log.record(
        action=action,
        actor=actor,
        object_type="session",
        object_id=session.pk,
        client_id=session.client_id,
        subject_practice_id=session.client.practice_id,
        detail=detail,
    )


def plan_in_force(client: Client) -> TreatmentPlan | None:
    """The version a session is recorded against: the active one; without one, the newest version
    the client has (a draft during intake, or the last closed one); None for a client with no plan."""
    plans = TreatmentPlan.objects.filter(client_id=client.pk)
    return plans.filter(status=Status.ACTIVE).first() or plans.order_by("-created_at", "-pk").first()


def _starts_at(client: Client, date: dt.date, start_time: dt.time) -> tuple[dt.datetime, str]:
    """The session's start, entered as a date and time where the practice is, stored aware."""
    try:
        validate_clinical_date(date)
    except ValidationError as error:
        raise ValidationError({"date": error.messages}) from error
    practice = client.practice
    return dt.datetime.combine(date, start_time, tzinfo=practice.tzinfo), practice.timezone


def _choice(choices, value, name: str):
    try:
        return choices(value)
    except ValueError as error:
        raise ValidationError({name: "Choose from the list."}) from error


def _check_session(session: TherapySession) -> None:
    errors = {}
    if not MIN_DURATION_MINUTES <= session.duration_minutes <= MAX_DURATION_MINUTES:
        errors["duration_minutes"] = (
            f"A session lasts between {MIN_DURATION_MINUTES} and {MAX_DURATION_MINUTES} minutes."
        )
    available = ServiceType.objects.available_to(session.client.practice_id)
    if not available.filter(pk=session.service_type_id).exists():
        errors["service_type"] = "Choose a service type of this practice."
    try:
        session.clean()
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def record_session(
    *,
    actor: User,
    client: Client,
    date: dt.date,
    start_time: dt.time,
    duration_minutes: int,
    service_type: ServiceType,
    modality: str = TherapySession.Modality.IN_PERSON,
    attendance: str = TherapySession.Attendance.ATTENDED,
    reason: str = "",
) -> TherapySession:
    """Record a session on the actor's own caseload, against the plan version in force."""
    client = Client.objects.editable_by(actor).select_related("practice").filter(pk=client.pk).first()
    if client is None:
        raise PermissionDenied(NOT_YOURS)
    starts_at, zone = _starts_at(client, date, start_time)
    session = TherapySession(
        client=client,
        plan=plan_in_force(client),
        clinician=actor,
        starts_at=starts_at,
        timezone=zone,
        duration_minutes=duration_minutes,
        modality=_choice(TherapySession.Modality, modality, "modality"),
        attendance=_choice(TherapySession.Attendance, attendance, "attendance"),
        service_type=service_type,
        reason=reason.strip(),
    )
    _check_session(session)
    session.save()
    _audit(actor, "session.record", session, session.attendance)
    return session


def _editable_session(actor: User, pk: int) -> TherapySession:
    session = (
        TherapySession.objects.editable_by(actor)
        .select_for_update(of=("self",))
        .select_related("client__practice")
        .filter(pk=pk)
        .first()
    )
    if session is None or session.clinician_id != actor.pk:
        raise PermissionDenied(NOT_YOURS)
    return session


def _note_of(session: TherapySession) -> ProgressNote | None:
    return ProgressNote.objects.filter(session_id=session.pk).first()


@transaction.atomic
def update_session(
    *, actor: User, session: TherapySession, expected_version: int, changes: Mapping[str, object]
) -> TherapySession:
    """Change a session whose note is not signed; `changes` holds some of SESSION_CHANGES."""
    session = _editable_session(actor, session.pk)
    if session.version != expected_version:
        raise StaleEditError(session)
    note = _note_of(session)
    if note is not None and note.is_signed:
        raise NoteLockedError("This session's note is signed: add an addendum instead.")
    unknown = set(changes) - set(SESSION_CHANGES)
    if unknown:
        raise ValueError(f"Not a session field: {sorted(unknown)}")
    if "date" in changes or "start_time" in changes:
        local = session.local_starts_at
        session.starts_at, session.timezone = _starts_at(
            session.client, changes.get("date", local.date()), changes.get("start_time", local.time())
        )
    for name in ("duration_minutes", "service_type", "reason"):
        if name in changes:
            setattr(session, name, changes[name])
    if "modality" in changes:
        session.modality = _choice(TherapySession.Modality, changes["modality"], "modality")
    if "attendance" in changes:
        session.attendance = _choice(TherapySession.Attendance, changes["attendance"], "attendance")
    session.reason = session.reason.strip()
    if note is not None and not session.took_place:
        # A note is kept for good; a session with one stays a session that took place.
        raise ValidationError({"attendance": "This session already has a progress note, so it took place."})
    _check_session(session)
    session.version += 1
    session.save()
    _audit(actor, "session.update", session, session.attendance)
    return session


# --- The note -----------------------------------------------------------------------


def _draft_note(actor: User, session: TherapySession) -> ProgressNote:
    note = ProgressNote.objects.select_for_update().filter(session_id=session.pk).first()
    if note is None:
        if not session.took_place:
            raise ValidationError({"attendance": "A session that did not take place has no progress note."})
        note = ProgressNote.objects.create(session=session, author=actor)
    if note.is_signed:
        raise NoteLockedError("This note is signed: add an addendum instead.")
    return note


def _plan_items(session: TherapySession):
    """What a note may choose from: the current items of the session's plan version."""
    plan_id = session.plan_id
    objectives = Objective.objects.current().filter(goal__plan_id=plan_id, goal__removed_at__isnull=True)
    interventions = Intervention.objects.current().filter(plan_id=plan_id)
    conflicts = CoreConflict.objects.current().filter(formulation__plan_id=plan_id)
    return objectives, interventions, conflicts


def _ids(rows: Iterable, key: str) -> list[int]:
    return [getattr(row[key], "pk", row[key]) for row in rows]


def _choose(errors: dict, name: str, chosen: list[int], allowed, message: str) -> None:
    if len(set(chosen)) != len(chosen):
        errors[name] = "Each may be chosen once."
    elif set(chosen) - set(allowed.filter(pk__in=chosen).values_list("pk", flat=True)):
        errors[name] = message


def _draft_content(*, objectives, interventions, conflicts, defenses, episodes, texts) -> tuple:
    """A draft's content in one comparable shape: chosen items as sets, ordered rows as lists."""
    return (
        list(objectives),
        sorted(interventions),
        sorted(conflicts),
        sorted(defenses),
        list(episodes),
        texts,
    )


def _draft_content_of(note: ProgressNote) -> tuple:
    return _draft_content(
        objectives=list(note.objectives_worked.order_by("order").values_list("objective_id", "evidence", "movement")),
        interventions=list(note.interventions_used.values_list("intervention_id", flat=True)),
        conflicts=list(note.conflicts_active.values_list("conflict_id", "intensity")),
        defenses=list(note.defenses.values_list("mechanism_id", "count")),
        episodes=list(
            note.episodes.order_by("order").values_list("other", "wish", "response_of_other", "response_of_self")
        ),
        texts=(note.risk, note.safety_plan, note.what_happened, note.plan_for_next_time),
    )


@transaction.atomic
def save_note(
    *,
    actor: User,
    session: TherapySession,
    expected_version: int | None = None,
    objectives: Iterable[Mapping] = (),
    interventions: Iterable[Intervention | int] = (),
    conflicts: Iterable[Mapping] = (),
    defenses: Iterable[Mapping] = (),
    episodes: Iterable[Mapping] = (),
    risk: str = ProgressNote.Risk.NONE,
    safety_plan: str = "",
    what_happened: str = "",
    plan_for_next_time: str = "",
) -> ProgressNote:
    """Write the draft note of an attended session, replacing what the draft held.

    objectives: [{"objective": Objective|id, "evidence": str, "movement": NoteObjective.Movement|""}]
    conflicts: [{"conflict": CoreConflict|id, "intensity": NoteConflict.Intensity}]
    defenses: [{"mechanism": DefenseMechanism|id, "count": int|None}]
    episodes: [{"other": RelationshipEpisode.Other, "wish", "response_of_other", "response_of_self"}]
    `expected_version` is the note's version the editor loaded (None for a note not yet written).
    """
    session = _editable_session(actor, session.pk)
    note = _draft_note(actor, session)
    stale = expected_version is not None and note.version != expected_version
    objectives, conflicts, defenses, episodes = list(objectives), list(conflicts), list(defenses), list(episodes)
    intervention_ids = [getattr(i, "pk", i) for i in interventions]
    allowed_objectives, allowed_interventions, allowed_conflicts = _plan_items(session)
    errors: dict = {}
    plan_message = "Choose from the plan version this session was recorded against."
    _choose(errors, "objectives", _ids(objectives, "objective"), allowed_objectives, plan_message)
    _choose(errors, "interventions", intervention_ids, allowed_interventions, plan_message)
    _choose(errors, "conflicts", _ids(conflicts, "conflict"), allowed_conflicts, plan_message)
    catalogue = DefenseMechanism.objects.available_to(session.client.practice_id)
    _choose(errors, "defenses", _ids(defenses, "mechanism"), catalogue, "Choose defenses from the DMRS catalogue.")
    for row in objectives:
        movement = row.get("movement") or ""
        if not str(row.get("evidence", "")).strip():
            errors.setdefault("objectives", "Give each objective worked on a line of evidence.")
        elif len(row["evidence"].strip()) > 300 or "\n" in row["evidence"].strip():
            errors.setdefault("objectives", "Keep each objective's evidence to one line (300 characters).")
        if movement not in NoteObjective.Movement.values:
            errors.setdefault("objectives", "Choose a movement mark from the list.")
    for row in conflicts:
        if row.get("intensity", NoteConflict.Intensity.SIGNIFICANT) not in NoteConflict.Intensity.values:
            errors.setdefault("conflicts", "Choose an intensity from the list.")
    for row in defenses:
        count = row.get("count")
        if count is not None and (not isinstance(count, int) or count < 1):
            errors.setdefault("defenses", "A count is a whole number of times, 1 or more, or left empty.")
    for row in episodes:
        if row.get("other") not in RelationshipEpisode.Other.values:
            errors.setdefault("episodes", "Choose who the other person was.")
        parts = [str(row.get(k, "")).strip() for k in ("wish", "response_of_other", "response_of_self")]
        if not all(parts):
            errors.setdefault("episodes", "Give each episode its wish, response of the other and response of the self.")
        elif any(len(p) > 300 for p in parts):
            errors.setdefault("episodes", "Keep each part of an episode short (300 characters).")
    if risk not in ProgressNote.Risk.values:
        errors["risk"] = "Choose a risk level from the list."
    elif risk in ProgressNote.FLAGGED_RISKS and not safety_plan.strip():
        errors["safety_plan"] = "A moderate or high risk needs a safety plan entry."
    if errors:
        raise ValidationError(errors)
    if stale:
        submitted = _draft_content(
            objectives=[
                (pk, row["evidence"].strip(), row.get("movement") or "")
                for pk, row in zip(_ids(objectives, "objective"), objectives, strict=True)
            ],
            interventions=intervention_ids,
            conflicts=[
                (pk, row.get("intensity", NoteConflict.Intensity.SIGNIFICANT))
                for pk, row in zip(_ids(conflicts, "conflict"), conflicts, strict=True)
            ],
            defenses=[(pk, row.get("count")) for pk, row in zip(_ids(defenses, "mechanism"), defenses, strict=True)],
            episodes=[
                tuple(str(row[k]).strip() for k in ("other", "wish", "response_of_other", "response_of_self"))
                for row in episodes
            ],
            texts=(risk, safety_plan.strip(), what_happened, plan_for_next_time),
        )
        if submitted != _draft_content_of(note):
            raise StaleEditError(note)
        # The same text sent again (a resend, a second tab that typed the same): nothing to merge, nothing lost.
        return note

    # The draft's parts are replaced as a whole; until signed they are working text, not the record.
    for model in (NoteObjective, NoteIntervention, NoteConflict, NoteDefense, RelationshipEpisode):
        model.objects.filter(note=note).delete()
    NoteObjective.objects.bulk_create(
        NoteObjective(
            note=note,
            objective_id=objective_id,
            evidence=row["evidence"].strip(),
            movement=row.get("movement") or "",
            order=index,
        )
        for index, (objective_id, row) in enumerate(zip(_ids(objectives, "objective"), objectives, strict=True))
    )
    NoteIntervention.objects.bulk_create(NoteIntervention(note=note, intervention_id=pk) for pk in intervention_ids)
    NoteConflict.objects.bulk_create(
        NoteConflict(note=note, conflict_id=pk, intensity=row.get("intensity", NoteConflict.Intensity.SIGNIFICANT))
        for pk, row in zip(_ids(conflicts, "conflict"), conflicts, strict=True)
    )
    NoteDefense.objects.bulk_create(
        NoteDefense(note=note, mechanism_id=pk, count=row.get("count"))
        for pk, row in zip(_ids(defenses, "mechanism"), defenses, strict=True)
    )
    RelationshipEpisode.objects.bulk_create(
        RelationshipEpisode(
            note=note,
            other=row["other"],
            wish=row["wish"].strip(),
            response_of_other=row["response_of_other"].strip(),
            response_of_self=row["response_of_self"].strip(),
            order=index,
        )
        for index, row in enumerate(episodes)
    )
    note.risk = risk
    note.safety_plan = safety_plan.strip()
    note.what_happened = what_happened
    note.plan_for_next_time = plan_for_next_time
    note.version += 1
    note.save()
    _audit(actor, "note.save", session, f"note {note.pk}")
    return note


def _signature(*, note: ProgressNote, signer: User, meaning: str, content: bytes, addendum=None) -> NoteSignature:
    return NoteSignature.objects.create(
        note=note,
        addendum=addendum,
        signer=signer,
        meaning=meaning,
        printed_name=signer.get_full_name(),
        credentials=signer.credentials,
        signed_at=_now(),
        timezone=note.session.client.practice.timezone,
        canonical_json=content.decode("utf-8"),
        content_hash=canonical.digest(content),
    )


@transaction.atomic
def sign_note(*, actor: User, note: ProgressNote, expected_version: int | None = None) -> NoteSignature:
    """The author signs the draft: from here on the note never changes."""
    session = _editable_session(actor, note.session_id)
    note = ProgressNote.objects.select_for_update().get(pk=note.pk)
    if note.is_signed:
        raise NoteLockedError("This note is already signed.")
    if note.author_id != actor.pk or not policy.can(actor, policy.Action.EDIT, note):
        raise PermissionDenied("Only the note's author signs it.")
    if expected_version is not None and note.version != expected_version:
        raise StaleEditError(note)
    if note.risk_flagged and not note.safety_plan.strip():
        raise ValidationError({"safety_plan": "A moderate or high risk needs a safety plan entry."})
    note.session = session
    content = canonical.note_json(note)
    signature = _signature(note=note, signer=actor, meaning=NoteSignature.Meaning.AUTHORED, content=content)
    note.status = ProgressNote.Status.SIGNED
    note.signed_at = signature.signed_at
    note.save(update_fields=["status", "signed_at", "updated_at"])
    _audit(actor, "note.sign", session, f"note {note.pk} {signature.content_hash[:12]}")
    return signature


@transaction.atomic
def add_addendum(*, actor: User, note: ProgressNote, text: str) -> NoteAddendum:
    """A dated correction or addition to a signed note, signed as it is written."""
    session = _editable_session(actor, note.session_id)
    note = ProgressNote.objects.select_for_update().get(pk=note.pk)
    if not note.is_signed:
        raise ValidationError("A draft is corrected by editing it; addenda are for signed notes.")
    if not text.strip():
        raise ValidationError({"text": "Write the addendum."})
    note.session = session
    addendum = NoteAddendum.objects.create(note=note, author=actor, written_at=_now(), text=text.strip())
    _signature(
        note=note,
        signer=actor,
        meaning=NoteSignature.Meaning.ADDENDUM,
        content=canonical.addendum_json(addendum),
        addendum=addendum,
    )
    _audit(actor, "note.addendum", session, f"note {note.pk} addendum {addendum.pk}")
    return addendum


# --- Private process notes ----------------------------------------------------------
# Their own door (ProcessNote.objects): the author, and a supervisor the author shared one with.
# The log names the note by id only; its text never leaves the note.

PROCESS_NOTE_NOT_YOURS = "Only the author writes their process notes, while the client is on their caseload."


def _audit_process_note(actor: User, action: str, note: ProcessNote, detail: str = "", outcome: str = log.OK):
    log.record(
        action=action,
        outcome=outcome,
        actor=actor,
        object_type="process_note",
        object_id=note.pk,
        client_id=note.client_id,
        subject_practice_id=note.client.practice_id,
        detail=detail,
    )


def _process_note_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write the note."})
    if len(text) > PROCESS_NOTE_MAX_LENGTH:
        raise ValidationError({"text": f"Keep a process note to {PROCESS_NOTE_MAX_LENGTH} characters."})
    return text


@transaction.atomic
def write_process_note(*, actor: User, client: Client, text: str, session: TherapySession | None = None) -> ProcessNote:
    """A new private note on a client of the actor's own caseload, optionally on one of its sessions."""
    client = Client.objects.editable_by(actor).select_related("practice").filter(pk=client.pk).first()
    if client is None:
        raise PermissionDenied(PROCESS_NOTE_NOT_YOURS)
    if session is not None and not TherapySession.objects.filter(pk=session.pk, client_id=client.pk).exists():
        raise ValidationError({"session": "Choose a session of this client."})
    note = ProcessNote.objects.create(author=actor, client=client, session=session, text=_process_note_text(text))
    _audit_process_note(actor, "process_note.write", note)
    return note


def _editable_process_note(actor: User, pk: int) -> ProcessNote:
    note = (
        ProcessNote.objects.editable_by(actor)
        .select_for_update(of=("self",))
        .select_related("client__practice")
        .filter(pk=pk)
        .first()
    )
    if note is None:
        raise PermissionDenied(PROCESS_NOTE_NOT_YOURS)
    return note


@transaction.atomic
def update_process_note(*, actor: User, note: ProcessNote, expected_version: int, text: str) -> ProcessNote:
    note = _editable_process_note(actor, note.pk)
    if note.version != expected_version:
        raise StaleEditError(note)
    note.text = _process_note_text(text)
    note.version += 1
    note.save(update_fields=["text", "version", "updated_at"])
    _audit_process_note(actor, "process_note.update", note)
    return note


@transaction.atomic
def withdraw_process_note(*, actor: User, note: ProcessNote) -> ProcessNote:
    """Take a note out of everyone's view; the row stays, its shares end with it."""
    note = _editable_process_note(actor, note.pk)
    now = timezone.now()
    note.withdrawn_at = now
    note.save(update_fields=["withdrawn_at", "updated_at"])
    note.shares.standing().update(revoked_at=now)
    _audit_process_note(actor, "process_note.withdraw", note)
    return note


def read_process_note(*, reader: User, note_id: int) -> ProcessNote:
    """Fetch a note through its door and log the read; out of view is ProcessNote.DoesNotExist
    (the same answer as a note that does not exist), and the refused attempt is logged too."""
    note = ProcessNote.objects.visible_to(reader).select_related("client__practice").filter(pk=note_id).first()
    if note is None:
        log.record(
            action=log.Action.PROCESS_NOTE_READ,
            outcome=log.DENIED,
            actor=reader,
            object_type="process_note",
            object_id=note_id,
        )
        raise ProcessNote.DoesNotExist(f"No process note {note_id} for this reader.")
    detail = "author" if note.author_id == reader.pk else "shared for supervision"
    _audit_process_note(reader, log.Action.PROCESS_NOTE_READ, note, detail)
    return note


@transaction.atomic
def share_process_note(*, actor: User, note: ProcessNote, supervisor: User) -> ProcessNoteShare:
    """The author lets one named supervisor, who supervises them now, read this note."""
    note = _editable_process_note(actor, note.pk)
    if supervisor.pk == actor.pk or not policy.supervises(supervisor, actor, note.client.practice_id):
        raise ValidationError({"supervisor": "Choose one of your current supervisors."})
    share = note.shares.standing().filter(shared_with=supervisor).first()
    if share is None:
        share = ProcessNoteShare.objects.create(
            note=note, shared_with=supervisor, shared_by=actor, shared_at=timezone.now()
        )
        _audit_process_note(actor, log.Action.PROCESS_NOTE_SHARE, note, f"with user {supervisor.pk}")
    return share


@transaction.atomic
def revoke_process_note_share(*, actor: User, share: ProcessNoteShare) -> ProcessNoteShare:
    """The author ends a share; so may they after the client left their caseload (taking back is
    always the author's, unlike writing)."""
    share = (
        ProcessNoteShare.objects.select_for_update(of=("self",))
        .select_related("note__client__practice")
        .get(pk=share.pk)
    )
    if share.note.author_id != actor.pk or share.note.client.practice_id != policy.practice_id_of(actor):
        raise PermissionDenied("Only the note's author revokes its shares.")
    if share.revoked_at is None:
        share.revoked_at = timezone.now()
        share.save(update_fields=["revoked_at"])
        _audit_process_note(actor, log.Action.PROCESS_NOTE_UNSHARE, share.note, f"with user {share.shared_with_id}")
    return share
