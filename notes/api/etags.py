"""How the API spells the ETags of sessions and process notes (see core/api/etags.py).

A session is read and written together with its progress note, so its ETag carries both versions
and the note's status: saving the note or signing it changes what a PATCH may do. A StaleEditError
from the note's service names the note; it gets the same ETag as its session, so the 412 tells the
caller the one tag they need."""

from core.api import etags
from notes.models import ProcessNote, ProgressNote, TherapySession


def session_token(session: TherapySession) -> str:
    # Asked of the database, not of a cached `session.note`: the ETag is a concurrency token.
    note = ProgressNote.objects.filter(session_id=session.pk).values_list("version", "status").first()
    note_part = f"note-v{note[0]}-{note[1]}" if note else "no-note"
    return f"session-{session.pk}-v{session.version}-{note_part}"


def register() -> None:
    etags.register(TherapySession, token=session_token)
    etags.register(ProgressNote, token=lambda note: session_token(TherapySession.objects.get(pk=note.session_id)))
    etags.register(ProcessNote, token=lambda note: f"process-note-{note.pk}-v{note.version}")
