"""A process note's text never leaves its door (issue 14).

A unique canary is planted in a process note of a signed plan's client, shared with the author's
supervisor, and every way the record leaves the system is searched for it: the FHIR bundle, the
record PDF, the client version and the supervision copy, the bulk export, every API listing, the
client and plan pages, and the audit trails (the access log and the change history).
"""

import io
import json
import zipfile

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader
from rest_framework.test import APIClient

from audit.models import AccessLog, ChangeRecord
from config.api_urls import router
from notes import services
from notes.models import ProcessNote
from plans.lifecycle import transitions
from records import fhir, pdf
from records.models import BulkExport
from tests.factories import make_plan
from tests.notes.builders import record

CANARY = "Canary-7f3c91: countertransference I have not yet shared with anyone"


@pytest.fixture
def planted(clinician, supervisor, own_client, individual):
    plan = transitions.submit_plan(actor=clinician, plan=make_plan(own_client))
    session = record(clinician, own_client, individual)
    note = services.write_process_note(actor=clinician, client=own_client, session=session, text="draft")
    note = services.update_process_note(actor=clinician, note=note, expected_version=1, text=CANARY)
    services.share_process_note(actor=clinician, note=note, supervisor=supervisor)
    assert services.read_process_note(reader=supervisor, note_id=note.pk).text == CANARY
    return plan


def _pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages)


def test_the_fhir_bundle_and_the_pdfs_never_hold_it(planted, clinician, supervisor):
    assert CANARY not in json.dumps(fhir.plan_bundle(planted), ensure_ascii=False)
    assert CANARY not in pdf.render_html(planted)
    assert CANARY not in pdf.render_html(planted, audience=pdf.Audience.CLIENT)
    for reader in (clinician, supervisor):
        # The supervision copy carries the formulation's countertransference, never process notes.
        assert CANARY not in pdf.render_html(planted, audience=pdf.Audience.SUPERVISION, reader=reader)


def test_the_bulk_export_never_holds_it(planted, admin, login, django_capture_on_commit_callbacks):
    web = login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        web.post("/plans/exports/", {"client_status": "", "clinician": "", "date_from": "", "date_to": ""})
    export = BulkExport.objects.get()
    export.refresh_from_db()
    assert export.status == "finished" and export.total == 1
    with default_storage.open(export.zip_path, "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    for name in archive.namelist():
        content = archive.read(name)
        assert CANARY.encode() not in content, name
        if name.endswith(".pdf"):
            assert CANARY not in _pdf_text(content), name


@pytest.mark.parametrize("role", ["clinician", "supervisor", "admin", "colleague", "outsider"])
def test_no_api_listing_or_record_endpoint_holds_it(planted, role, request):
    api = APIClient()
    api.force_authenticate(request.getfixturevalue(role))
    note = ProcessNote.objects.get()
    urls = [f"/api/v1/{prefix}/" for prefix, _viewset, _basename in router.registry]
    urls += [f"/api/v1/plans/{planted.pk}/", f"/api/v1/plans/{planted.pk}/fhir/", f"/api/v1/plans/{planted.pk}/pdf/"]
    urls += [f"/api/v1/sessions/{note.session_id}/", f"/api/v1/sessions/{note.session_id}/addenda/"]
    urls += [f"/api/v1/sessions/?client={note.client_id}", f"/api/v1/process-notes/?client={note.client_id}"]
    if role != "clinician":
        # The one place the API gives the text is the note itself, to its author only: not even the
        # supervisor it was shared with reads it here.
        urls.append(f"/api/v1/process-notes/{note.pk}/")
    answered = 0
    for url in urls:
        response = api.get(url)
        body = response.content if not getattr(response, "streaming", False) else b"".join(response.streaming_content)
        answered += response.status_code == 200
        assert CANARY.encode() not in body, url
        if body.startswith(b"%PDF"):
            assert CANARY not in _pdf_text(body), url
    assert answered >= len(router.registry), "the listings answered, so the search was real"


def test_through_the_api_only_its_author_reads_it_one_note_at_a_time_and_audited(planted, clinician):
    api = APIClient()
    api.force_authenticate(clinician)
    note = ProcessNote.objects.get()
    response = api.get(f"/api/v1/process-notes/{note.pk}/")
    assert response.status_code == 200 and response.json()["text"] == CANARY
    assert AccessLog.objects.filter(action="process_note_read", actor=clinician, object_id=str(note.pk)).exists()


def test_the_client_and_plan_pages_and_the_audit_trails_never_hold_it(planted, clinician, login):
    web = login(clinician)
    for url in (f"/clients/{planted.client_id}/", f"/plans/{planted.pk}/"):
        response = web.get(url)
        assert response.status_code == 200, url
        assert CANARY not in response.content.decode(), url
    assert not [e.pk for e in AccessLog.objects.all() if CANARY in e.detail]
    assert not [c.pk for c in ChangeRecord.objects.all() if CANARY in json.dumps([c.before, c.after])]
    assert ChangeRecord.objects.filter(table="notes_processnoteshare").exists()
    assert not ChangeRecord.objects.filter(table="notes_processnote").exists()
