"""Private process notes (issue 14): the author's working material, behind a door of its own.

Only the author reads and writes them; a supervisor reads one the author shared with her by name,
while the share stands and she still supervises the author; no admin, colleague or other practice
reads them by role. Every read is audited, without the text.
"""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Supervision
from audit.log import Action
from audit.models import AccessLog
from core.errors import ImmutableRecordError, StaleEditError
from notes import services
from notes.models import ProcessNote, ProcessNoteShare
from tests.factories import ClientFactory, SupervisionFactory, staff
from tests.notes.builders import record

TEXT = "I felt pulled to rescue her; hypothesis: she tests whether I will leave."


@pytest.fixture
def note(clinician, own_client):
    return services.write_process_note(actor=clinician, client=own_client, text=TEXT)


@pytest.fixture
def cast(practice, clinician, supervisor, admin, colleague, outsider, note):
    """Everyone who might ask for the clinician's note, each in the situation the name says."""
    shared = services.share_process_note(actor=clinician, note=note, supervisor=supervisor)
    assert shared.revoked_at is None
    unshared = staff(practice, is_clinician=True, is_supervisor=True)
    SupervisionFactory(supervisor=unshared, supervisee=clinician)
    revoked = staff(practice, is_clinician=True, is_supervisor=True)
    SupervisionFactory(supervisor=revoked, supervisee=clinician)
    services.revoke_process_note_share(
        actor=clinician, share=services.share_process_note(actor=clinician, note=note, supervisor=revoked)
    )
    former = staff(practice, is_clinician=True, is_supervisor=True)
    link = SupervisionFactory(supervisor=former, supervisee=clinician, started_on=dt.date(2025, 1, 1))
    services.share_process_note(actor=clinician, note=note, supervisor=former)
    Supervision.objects.filter(pk=link.pk).update(ended_on=practice.today() - dt.timedelta(days=1))
    return {
        "author": clinician,
        "supervisor_with_share": supervisor,
        "supervisor_without_share": unshared,
        "supervisor_after_revocation": revoked,
        "supervisor_after_the_link_ended": former,
        "admin": admin,
        "colleague": colleague,
        "outsider": outsider,
    }


# role: (reads, edits)
MATRIX = {
    "author": (True, True),
    "supervisor_with_share": (True, False),
    "supervisor_without_share": (False, False),
    "supervisor_after_revocation": (False, False),
    "supervisor_after_the_link_ended": (False, False),
    "admin": (False, False),
    "colleague": (False, False),
    "outsider": (False, False),
}


@pytest.mark.parametrize(("role", "expected"), MATRIX.items(), ids=list(MATRIX))
def test_only_the_author_and_a_supervisor_it_was_shared_with_read_it_and_only_the_author_edits(
    cast, note, role, expected
):
    user = cast[role]
    reads, edits = expected
    assert ProcessNote.objects.visible_to(user).filter(pk=note.pk).exists() is reads
    assert ProcessNote.objects.editable_by(user).filter(pk=note.pk).exists() is edits
    if reads:
        assert services.read_process_note(reader=user, note_id=note.pk).text == TEXT
    else:
        with pytest.raises(ProcessNote.DoesNotExist):
            services.read_process_note(reader=user, note_id=note.pk)
    if edits:
        updated = services.update_process_note(actor=user, note=note, expected_version=1, text="Revised.")
        assert (updated.text, updated.version) == ("Revised.", 2)
    else:
        with pytest.raises(PermissionDenied):
            services.update_process_note(actor=user, note=note, expected_version=1, text="Revised.")
        with pytest.raises(PermissionDenied):
            services.share_process_note(actor=user, note=note, supervisor=cast["supervisor_with_share"])


def test_every_read_is_audited_by_id_without_the_text(clinician, supervisor, admin, note):
    services.share_process_note(actor=clinician, note=note, supervisor=supervisor)
    services.read_process_note(reader=clinician, note_id=note.pk)
    services.read_process_note(reader=supervisor, note_id=note.pk)
    with pytest.raises(ProcessNote.DoesNotExist):
        services.read_process_note(reader=admin, note_id=note.pk)
    reads = AccessLog.objects.filter(action=Action.PROCESS_NOTE_READ).order_by("pk")
    assert [(e.actor_id, e.outcome, e.object_type, e.object_id) for e in reads] == [
        (clinician.pk, "ok", "process_note", str(note.pk)),
        (supervisor.pk, "ok", "process_note", str(note.pk)),
        (admin.pk, "denied", "process_note", str(note.pk)),
    ]
    assert [e.detail for e in reads[:2]] == ["author", "shared for supervision"]
    assert AccessLog.objects.filter(action=Action.PROCESS_NOTE_SHARE, object_id=str(note.pk)).count() == 1
    for entry in AccessLog.objects.all():
        assert "rescue" not in entry.detail


def test_sharing_is_only_with_a_current_supervisor_of_the_author_and_is_audited_with_its_revocation(
    clinician, colleague, supervisor, note
):
    for not_a_supervisor in (colleague, clinician):
        with pytest.raises(ValidationError):
            services.share_process_note(actor=clinician, note=note, supervisor=not_a_supervisor)
    share = services.share_process_note(actor=clinician, note=note, supervisor=supervisor)
    assert services.share_process_note(actor=clinician, note=note, supervisor=supervisor) == share
    with pytest.raises(PermissionDenied):
        services.revoke_process_note_share(actor=supervisor, share=share)
    services.revoke_process_note_share(actor=clinician, share=share)
    share.refresh_from_db()
    assert share.revoked_at is not None
    assert not ProcessNote.objects.visible_to(supervisor).exists()
    actions = list(AccessLog.objects.filter(object_type="process_note").order_by("pk").values_list("action", flat=True))
    assert actions == ["process_note.write", Action.PROCESS_NOTE_SHARE, Action.PROCESS_NOTE_UNSHARE]


def test_the_author_keeps_reading_but_no_longer_edits_once_the_client_leaves_her_caseload(
    clinician, colleague, own_client, note
):
    own_client.primary_clinician = colleague
    own_client.save()
    assert services.read_process_note(reader=clinician, note_id=note.pk).text == TEXT
    with pytest.raises(PermissionDenied):
        services.update_process_note(actor=clinician, note=note, expected_version=1, text="More.")
    # The new clinician inherits the client, not the previous clinician's private notes.
    assert not ProcessNote.objects.visible_to(colleague).exists()


def test_a_stale_edit_is_refused(clinician, note):
    services.update_process_note(actor=clinician, note=note, expected_version=1, text="First.")
    with pytest.raises(StaleEditError):
        services.update_process_note(actor=clinician, note=note, expected_version=1, text="Second.")


def test_a_note_belongs_to_a_session_of_the_same_client_only(clinician, own_client, active_plan, individual):
    session = record(clinician, own_client, individual)
    note = services.write_process_note(actor=clinician, client=own_client, session=session, text=TEXT)
    assert note.session == session
    other = ClientFactory(primary_clinician=clinician)
    with pytest.raises(ValidationError):
        services.write_process_note(actor=clinician, client=other, session=session, text=TEXT)
    with pytest.raises(ValidationError):
        services.write_process_note(actor=clinician, client=own_client, text="   ")


def test_only_the_clients_clinician_writes_one(colleague, supervisor, admin, own_client):
    for user in (colleague, supervisor, admin):
        with pytest.raises(PermissionDenied):
            services.write_process_note(actor=user, client=own_client, text=TEXT)


def test_a_note_is_never_deleted_but_may_be_withdrawn_from_everyones_view(clinician, supervisor, note):
    share = services.share_process_note(actor=clinician, note=note, supervisor=supervisor)
    with pytest.raises(ImmutableRecordError):
        note.delete()
    with pytest.raises(ImmutableRecordError):
        share.delete()
    services.withdraw_process_note(actor=clinician, note=note)
    assert ProcessNote.objects.filter(pk=note.pk).exists()
    assert not ProcessNote.objects.visible_to(clinician).exists()
    assert not ProcessNote.objects.visible_to(supervisor).exists()
    assert not ProcessNoteShare.objects.standing().exists()
