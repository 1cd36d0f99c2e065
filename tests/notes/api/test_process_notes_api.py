"""`/api/v1/process-notes/`: the author's own, and nobody else's, not even a supervisor it was shared with."""

import pytest

from audit import log
from audit.models import AccessLog
from notes import services
from notes.models import ProcessNote
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
TEXT = "I felt pulled to rescue her."


@pytest.fixture
def shared(clinician, supervisor, session):
    note = services.write_process_note(actor=clinician, client=session.client, session=session, text=TEXT)
    services.share_process_note(actor=clinician, note=note, supervisor=supervisor)
    return note


def test_the_authors_listing_names_their_notes_without_their_text(api, clinician, shared, colleague):
    services.write_process_note(
        actor=colleague, client=ClientFactory(primary_clinician=colleague), text="Someone else's."
    )
    response = api(clinician).get("/api/v1/process-notes/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [shared.pk]
    assert "text" not in rows[0] and TEXT not in response.content.decode()


def test_the_author_reads_one_note_with_its_text_and_the_read_is_audited(api, clinician, shared):
    before = AccessLog.objects.filter(action=log.Action.PROCESS_NOTE_READ).count()
    response = api(clinician).get(f"/api/v1/process-notes/{shared.pk}/")
    assert response.status_code == 200
    assert response.json()["text"] == TEXT and response["ETag"] == f'"process-note-{shared.pk}-v1"'
    entry = AccessLog.objects.filter(action=log.Action.PROCESS_NOTE_READ).order_by("-pk").first()
    assert AccessLog.objects.filter(action=log.Action.PROCESS_NOTE_READ).count() == before + 1
    assert (entry.actor, entry.object_id, entry.client_id, entry.detail) == (
        clinician,
        str(shared.pk),
        shared.client_id,
        "author",
    )
    assert TEXT not in "".join(AccessLog.objects.values_list("detail", flat=True))


def test_the_author_writes_changes_with_if_match_and_withdraws(api, clinician, session):
    caller = api(clinician)
    created = caller.post(
        "/api/v1/process-notes/", {"client": session.client_id, "session": session.pk, "text": "First."}, format="json"
    )
    assert created.status_code == 201, created.content
    url = f"/api/v1/process-notes/{created.json()['id']}/"
    assert caller.patch(url, {"text": "Second."}, format="json").status_code == 428
    changed = caller.patch(url, {"text": "Second."}, format="json", HTTP_IF_MATCH=created["ETag"])
    assert changed.status_code == 200 and changed.json()["text"] == "Second."
    stale = caller.patch(url, {"text": "Third."}, format="json", HTTP_IF_MATCH=created["ETag"])
    assert stale.status_code == 412 and stale.json()["code"] == "stale"
    assert caller.patch(url, {"text": "  "}, format="json", HTTP_IF_MATCH="*").status_code == 400
    assert caller.post(f"{url}withdraw/").status_code == 204
    assert caller.get(url).status_code == 404
    assert ProcessNote.objects.get(pk=created.json()["id"]).withdrawn_at is not None


def test_a_note_on_a_client_out_of_view_or_a_session_of_another_client_is_a_field_error(
    api, clinician, colleague, session
):
    theirs = ClientFactory(primary_clinician=colleague)
    caller = api(clinician)
    response = caller.post("/api/v1/process-notes/", {"client": theirs.pk, "text": "x"}, format="json")
    assert response.status_code == 400 and "client" in response.json()["fields"]
    mine = ClientFactory(primary_clinician=clinician)
    response = caller.post(
        "/api/v1/process-notes/", {"client": mine.pk, "session": session.pk, "text": "x"}, format="json"
    )
    assert response.status_code == 400 and "session" in response.json()["fields"]
    assert not ProcessNote.objects.exists()


@pytest.mark.parametrize("role", ["supervisor", "admin", "colleague", "outsider"])
def test_everyone_but_the_author_gets_404_even_the_supervisor_it_was_shared_with(api, request, role, shared):
    user = request.getfixturevalue(role)
    caller = api(user)
    url = f"/api/v1/process-notes/{shared.pk}/"
    listing = caller.get("/api/v1/process-notes/?page_size=200")
    assert listing.status_code == 200 and listing.json()["results"] == []
    assert caller.get(url).status_code == 404
    assert caller.patch(url, {"text": "Mine now."}, format="json", HTTP_IF_MATCH="*").status_code == 404
    assert caller.post(f"{url}withdraw/").status_code == 404
    created = caller.post("/api/v1/process-notes/", {"client": shared.client_id, "text": "x"}, format="json")
    # The client is in a supervisor's or admin's view, but not on their caseload to write on.
    assert created.status_code in (400, 403)
    shared.refresh_from_db()
    assert (shared.text, shared.withdrawn_at) == (TEXT, None)
    assert not AccessLog.objects.filter(action=log.Action.PROCESS_NOTE_READ, actor=user).exists()


def test_a_session_never_carries_its_process_notes(api, clinician, shared):
    response = api(clinician).get(f"/api/v1/sessions/{shared.session_id}/")
    assert response.status_code == 200 and TEXT not in response.content.decode()
