"""Signing a note: the signature as given, its canonical content, and a note that never changes after."""

import datetime as dt
import hashlib
import json
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction

from core.errors import ImmutableRecordError
from formulation.models import CoreConflict
from notes import canonical, services
from notes.models import (
    NoteAddendum,
    NoteDefense,
    NoteObjective,
    NoteSignature,
    ProgressNote,
    RelationshipEpisode,
    TherapySession,
)
from plans.lifecycle import transitions
from plans.models import Intervention, Objective, TreatmentPlan
from tests.factories import make_plan
from tests.notes.builders import full_note, record


@pytest.fixture
def signed(clinician, session):
    note = services.save_note(actor=clinician, session=session, **full_note(session))
    services.sign_note(actor=clinician, note=note)
    note.refresh_from_db()
    return note


def test_signing_stores_the_signature_as_given_with_the_hash_of_the_canonical_json(clinician, session):
    clinician.given_name, clinician.family_name, clinician.credentials = "Ada", "Moreau", "PsyD"
    clinician.save()
    session.client.practice.timezone = "Europe/Paris"
    session.client.practice.save()
    note = services.save_note(actor=clinician, session=session, **full_note(session))
    signature = services.sign_note(actor=clinician, note=note, expected_version=note.version)
    note.refresh_from_db()
    assert note.status == ProgressNote.Status.SIGNED
    assert note.signed_at == signature.signed_at
    assert (signature.printed_name, signature.credentials) == ("Ada Moreau", "PsyD")
    assert signature.meaning == NoteSignature.Meaning.AUTHORED
    assert signature.timezone == "Europe/Paris"
    assert signature.content_hash == hashlib.sha256(signature.canonical_json.encode("utf-8")).hexdigest()
    assert signature.canonical_json.encode("utf-8") == canonical.note_json(note)
    assert canonical.verify(note).matches


def test_the_canonical_json_is_sorted_compact_utf8_and_names_plan_items_by_lineage(signed):
    raw = NoteSignature.objects.get(note=signed).canonical_json
    content = json.loads(raw)
    assert raw == json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert content["schema"] == "psyplan.note-content/1"
    objective = Objective.objects.get(goal__plan=signed.session.plan)
    assert content["note"]["objectives"] == [
        {"id": str(objective.lineage), "evidence": "Named the pattern with her sister.", "movement": "some_movement"}
    ]
    assert content["session"]["starts_at"] == signed.session.local_starts_at.isoformat()
    assert content["note"]["episodes"][0]["transference"] is True


def test_the_canonical_format_is_pinned(clinician, own_client, individual):
    """A golden file: the exact bytes a fixed note renders to (a new format needs a new schema name)."""
    plan = make_plan(own_client)
    # Fixed ids, set while the plan is still a draft (its content is guarded once it is signed).
    TreatmentPlan.objects.filter(pk=plan.pk).update(lineage=uuid.UUID(int=1))
    Objective.objects.filter(goal__plan=plan).update(lineage=uuid.UUID(int=2))
    Intervention.objects.filter(plan=plan).update(lineage=uuid.UUID(int=3))
    CoreConflict.objects.filter(formulation__plan=plan).update(lineage=uuid.UUID(int=4))
    transitions.submit_plan(actor=clinician, plan=plan)
    session = record(clinician, own_client, individual)
    note = services.save_note(actor=clinician, session=session, **full_note(session) | {"risk": "low"})
    expected = (
        '{"note":{"conflicts":[{"id":"00000000-0000-0000-0000-000000000004","intensity":"very_significant",'
        '"type":"care-self-sufficiency"}],"defenses":[{"count":3,"level":6,"mechanism":"Isolation of affect"},'
        '{"count":1,"level":7,"mechanism":"Humour"}],"episodes":[{"other":"therapist","response_of_other":'
        '"you will tire of me","response_of_self":"I say I am fine","transference":true,"wish":"to be looked '
        'after"},{"other":"sibling","response_of_other":"she talks over me","response_of_self":"I go quiet",'
        '"transference":false,"wish":"to be seen"}],"interventions":["00000000-0000-0000-0000-000000000003"],'
        '"objectives":[{"evidence":"Named the pattern with her sister.","id":"00000000-0000-0000-0000-000000000002",'
        '"movement":"some_movement"}],"plan_for_next_time":"Return to the break.","risk":"low","safety_plan":"",'
        '"what_happened":"Spoke of the holiday break."},"schema":"psyplan.note-content/1","session":{"attendance":'
        '"attended","duration_minutes":50,"modality":"in_person","plan":"00000000-0000-0000-0000-000000000001",'
        '"plan_version":1,"service_type":"individual","starts_at":"2026-11-10T09:30:00-05:00","timezone":'
        '"America/New_York"}}'
    )
    assert canonical.note_json(note) == expected.encode("utf-8")


def test_text_is_kept_as_written_in_utf8(clinician, session):
    note = services.save_note(actor=clinician, session=session, what_happened="Zoë sprach über Ängste — «enfin».")
    assert '"what_happened":"Zoë sprach über Ängste — «enfin»."'.encode() in canonical.note_json(note)


@pytest.mark.parametrize("role", ["supervisor", "admin", "colleague"])
def test_only_the_author_signs(request, role, clinician, session):
    note = services.save_note(actor=clinician, session=session, what_happened="x")
    with pytest.raises(PermissionDenied):
        services.sign_note(actor=request.getfixturevalue(role), note=note)
    assert not NoteSignature.objects.exists()


def test_a_note_is_signed_once_and_then_never_saved_again(clinician, signed):
    with pytest.raises(services.NoteLockedError):
        services.sign_note(actor=clinician, note=signed)
    with pytest.raises(services.NoteLockedError):
        services.save_note(actor=clinician, session=signed.session, what_happened="Changed my mind.")
    assert NoteSignature.objects.filter(note=signed).count() == 1


def test_the_models_refuse_to_change_a_signed_note_its_parts_its_session_and_its_signature(signed):
    signed.what_happened = "Rewritten."
    with pytest.raises(ImmutableRecordError):
        signed.save()
    part = NoteObjective.objects.get(note=signed)
    part.evidence = "Other."
    with pytest.raises(ImmutableRecordError):
        part.save()
    with pytest.raises(ImmutableRecordError):
        part.delete()
    with pytest.raises(ImmutableRecordError):
        RelationshipEpisode(note=signed, other="friend", wish="w", response_of_other="r", response_of_self="s").save()
    session = TherapySession.objects.get(pk=signed.session_id)
    session.duration_minutes = 10
    with pytest.raises(ImmutableRecordError):
        session.save()
    signature = NoteSignature.objects.get(note=signed)
    signature.printed_name = "Someone else"
    with pytest.raises(ImmutableRecordError):
        signature.save()
    for row in (signed, session, signature):
        with pytest.raises(ImmutableRecordError):
            row.delete()


def _refused(sql: str, params: list) -> None:
    with pytest.raises(DatabaseError, match="psyplan"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_database_refuses_updates_of_a_signed_note_and_everything_signed_with_it(signed):
    """On both backends: the triggers (PostgreSQL by migration, SQLite after migrate)."""
    _refused("UPDATE notes_progressnote SET what_happened = 'x' WHERE id = %s", [signed.pk])
    _refused("UPDATE notes_progressnote SET status = 'draft' WHERE id = %s", [signed.pk])
    _refused("UPDATE notes_noteobjective SET evidence = 'x' WHERE note_id = %s", [signed.pk])
    _refused("UPDATE notes_notedefense SET count = 9 WHERE note_id = %s", [signed.pk])
    _refused("UPDATE notes_relationshipepisode SET wish = 'x' WHERE note_id = %s", [signed.pk])
    _refused("UPDATE notes_therapysession SET duration_minutes = 10 WHERE id = %s", [signed.session_id])
    _refused("UPDATE notes_notesignature SET printed_name = 'x' WHERE note_id = %s", [signed.pk])
    mechanism = NoteDefense.objects.filter(note=signed).values_list("mechanism_id", flat=True).first()
    _refused(
        "INSERT INTO notes_notedefense (note_id, mechanism_id, count) VALUES (%s, %s, NULL)",
        [signed.pk, mechanism + 1],
    )
    assert ProgressNote.objects.get(pk=signed.pk).what_happened == "Spoke of the holiday break."


@pytest.mark.skipif(connection.vendor != "postgresql", reason="DELETE guards are PostgreSQL's (see notes/guards.py)")
def test_postgresql_refuses_deleting_a_signed_note_its_parts_session_and_signature(signed):
    _refused("DELETE FROM notes_relationshipepisode WHERE note_id = %s", [signed.pk])
    _refused("DELETE FROM notes_noteobjective WHERE note_id = %s", [signed.pk])
    _refused("DELETE FROM notes_notesignature WHERE note_id = %s", [signed.pk])
    _refused("DELETE FROM notes_progressnote WHERE id = %s", [signed.pk])
    _refused("DELETE FROM notes_therapysession WHERE id = %s", [signed.session_id])


def test_a_draft_note_and_its_session_stay_writable_in_the_database(clinician, session):
    note = services.save_note(actor=clinician, session=session, **full_note(session))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE notes_progressnote SET what_happened = 'x' WHERE id = %s", [note.pk])
        cursor.execute("UPDATE notes_therapysession SET duration_minutes = 45 WHERE id = %s", [session.pk])
    assert ProgressNote.objects.get(pk=note.pk).what_happened == "x"


def test_verify_finds_a_note_changed_behind_the_guards(signed):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER psyplan_guard_upd_notes_progressnote")
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE notes_progressnote DISABLE TRIGGER psyplan_guard")
        cursor.execute("UPDATE notes_progressnote SET what_happened = 'Tampered.' WHERE id = %s", [signed.pk])
    check = canonical.verify(signed)
    assert not check.matches
    assert "the content in the database differs from the stored signed content" in check.checks[0].problems


# --- Addenda ------------------------------------------------------------------------------


def test_an_addendum_is_dated_and_signed_as_it_is_written(clinician, signed):
    addendum = services.add_addendum(actor=clinician, note=signed, text="The sister is older, not younger.")
    signature = addendum.signature
    assert signature.meaning == NoteSignature.Meaning.ADDENDUM
    content = json.loads(signature.canonical_json)
    assert content["schema"] == "psyplan.note-addendum/1"
    assert content["note_hash"] == NoteSignature.objects.of_note().get(note=signed).content_hash
    assert content["text"] == "The sister is older, not younger."
    assert dt.datetime.fromisoformat(content["written_at"]) == addendum.written_at
    check = canonical.verify(signed)
    assert check.matches and len(check.checks) == 2
    # The note itself is as it was signed.
    assert ProgressNote.objects.get(pk=signed.pk).what_happened == "Spoke of the holiday break."


def test_an_addendum_never_changes(clinician, signed):
    addendum = services.add_addendum(actor=clinician, note=signed, text="Correction.")
    addendum.text = "Other."
    with pytest.raises(ImmutableRecordError):
        addendum.save()
    _refused("UPDATE notes_noteaddendum SET text = 'x' WHERE id = %s", [addendum.pk])
    assert NoteAddendum.objects.get(pk=addendum.pk).text == "Correction."


def test_a_draft_takes_no_addendum_and_an_addendum_needs_text(clinician, session, signed):
    with pytest.raises(ValidationError):
        services.add_addendum(actor=clinician, note=signed, text="  ")


def test_a_draft_is_edited_not_amended(clinician, session):
    note = services.save_note(actor=clinician, session=session, what_happened="x")
    with pytest.raises(ValidationError):
        services.add_addendum(actor=clinician, note=note, text="More.")


@pytest.mark.parametrize("role", ["supervisor", "admin", "colleague"])
def test_only_the_clinician_adds_an_addendum(request, role, signed):
    with pytest.raises(PermissionDenied):
        services.add_addendum(actor=request.getfixturevalue(role), note=signed, text="Mine.")
