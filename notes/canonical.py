"""The canonical form of a signed progress note and of an addendum, and their SHA-256.

The conventions are plans' (plans/lifecycle/canonical.py): one JSON object, UTF-8, keys sorted,
no whitespace between tokens; text exactly as stored; dates and times in ISO 8601; absent values
as `null`; lists in the note's display order; items of the plan referred to by their `lineage`
UUID (which does not change between plan versions), catalogue entries by their code or name.

`psyplan.note-content/1` has `schema`, `session` (plan lineage and version, start in
the practice's timezone with its offset, the zone, duration, modality, attendance, service type)
and `note` (objectives worked on, interventions used, conflicts active, defenses observed,
relationship episodes, risk and safety plan, the two free texts). The defensive functioning is
left out: it is computed from the defenses, which are in. The client's chart number is left out
too: it stays editable on the client's record, and editing it must not break a signed note (the
note is tied to its client by the session row, which the guards freeze).

`psyplan.note-addendum/1` has `schema`, the note's own signed hash, the time written and the text.

Each signature stores the exact JSON it signed and its SHA-256; `verify` recomputes the content
from the database and compares it with both. A new format gets a new schema name and its own
entry in FORMATS; old entries stay so old signatures still verify.
"""

import hashlib
import json
from dataclasses import dataclass, field

from notes.models import NoteAddendum, NoteSignature, ProgressNote

NOTE_SCHEMA_V1 = "psyplan.note-content/1"
ADDENDUM_SCHEMA_V1 = "psyplan.note-addendum/1"
NOTE_SCHEMA = NOTE_SCHEMA_V1
ADDENDUM_SCHEMA = ADDENDUM_SCHEMA_V1


def _parts(note: ProgressNote, name: str, *related: str):
    """One kind of the note's parts in their display order: from the note's prefetch when whoever
    loaded it prefetched them (with `related` selected; the scale builder signs thousands of notes
    that way), else one query."""
    prefetched = getattr(note, "_prefetched_objects_cache", {}).get(name)
    if prefetched is not None:
        return prefetched
    return getattr(note, name).select_related(*related)


def _note_v1(note: ProgressNote) -> dict:
    session = note.session
    plan = session.plan
    return {
        "schema": NOTE_SCHEMA_V1,
        "session": {
            "plan": str(plan.lineage) if plan else None,
            "plan_version": plan.version_number if plan else None,
            "starts_at": session.local_starts_at.isoformat(),
            "timezone": session.timezone,
            "duration_minutes": session.duration_minutes,
            "modality": session.modality,
            "attendance": session.attendance,
            "service_type": session.service_type.code,
        },
        "note": {
            "objectives": [
                {"id": str(o.objective.lineage), "evidence": o.evidence, "movement": o.movement or None}
                for o in _parts(note, "objectives_worked", "objective")
            ],
            "interventions": sorted(
                str(i.intervention.lineage) for i in _parts(note, "interventions_used", "intervention")
            ),
            "conflicts": [
                {"id": str(c.conflict.lineage), "type": c.conflict.conflict_type.code, "intensity": c.intensity}
                for c in _parts(note, "conflicts_active", "conflict__conflict_type")
            ],
            "defenses": [
                {"mechanism": d.mechanism.name, "level": d.mechanism.level, "count": d.count}
                for d in _parts(note, "defenses", "mechanism")
            ],
            "episodes": [
                {
                    "other": e.other,
                    "wish": e.wish,
                    "response_of_other": e.response_of_other,
                    "response_of_self": e.response_of_self,
                    "transference": e.is_transference,
                }
                for e in _parts(note, "episodes")
            ],
            "risk": note.risk,
            "safety_plan": note.safety_plan,
            "what_happened": note.what_happened,
            "plan_for_next_time": note.plan_for_next_time,
        },
    }


def _addendum_v1(addendum: NoteAddendum) -> dict:
    signed = NoteSignature.objects.of_note().get(note_id=addendum.note_id)
    return {
        "schema": ADDENDUM_SCHEMA_V1,
        "note_hash": signed.content_hash,
        "written_at": addendum.written_at.astimezone(signed.local_signed_at.tzinfo).isoformat(),
        "text": addendum.text,
    }


# schema name -> the function that renders a note (or an addendum) in that format. Never change an
# entry that signatures were given in; add a new one.
NOTE_FORMATS = {NOTE_SCHEMA_V1: _note_v1}
ADDENDUM_FORMATS = {ADDENDUM_SCHEMA_V1: _addendum_v1}


def encode(content: dict) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def note_json(note: ProgressNote, *, schema: str = NOTE_SCHEMA) -> bytes:
    return encode(NOTE_FORMATS[schema](note))


def addendum_json(addendum: NoteAddendum, *, schema: str = ADDENDUM_SCHEMA) -> bytes:
    return encode(ADDENDUM_FORMATS[schema](addendum))


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# --- Verification ---------------------------------------------------------------

VALID, MISMATCH = "valid", "mismatch"


@dataclass
class SignatureCheck:
    signature: NoteSignature
    state: str
    problems: list[str] = field(default_factory=list)


@dataclass
class Verification:
    note_id: int
    checks: list[SignatureCheck]

    @property
    def matches(self) -> bool:
        return bool(self.checks) and all(check.state == VALID for check in self.checks)


def _schema_of(signature: NoteSignature) -> str | None:
    try:
        content = json.loads(signature.canonical_json)
    except ValueError:
        return None
    return content.get("schema") if isinstance(content, dict) else None


def verify(note: ProgressNote) -> Verification:
    """Check the note's signature and each addendum's against the content in the database now."""
    signatures = list(
        NoteSignature.objects.filter(note_id=note.pk).select_related("addendum").order_by("signed_at", "pk")
    )
    note = ProgressNote.objects.select_related("session__client", "session__plan", "session__service_type").get(
        pk=note.pk
    )
    checks = []
    for signature in signatures:
        schema = _schema_of(signature)
        formats = ADDENDUM_FORMATS if signature.addendum_id else NOTE_FORMATS
        if schema not in formats:
            checks.append(SignatureCheck(signature, MISMATCH, ["the stored signed content is in an unknown format"]))
            continue
        now = encode(formats[schema](signature.addendum if signature.addendum_id else note))
        stored = signature.canonical_json.encode("utf-8")
        problems = []
        if digest(now) != signature.content_hash:
            problems.append("the content in the database does not hash to the signed hash")
        if digest(stored) != signature.content_hash:
            problems.append("the stored signed content does not hash to the signed hash")
        if stored != now:
            problems.append("the content in the database differs from the stored signed content")
        checks.append(SignatureCheck(signature, MISMATCH if problems else VALID, problems))
    return Verification(note.pk, checks)
