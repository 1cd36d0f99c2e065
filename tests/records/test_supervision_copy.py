"""The formulation's countertransference leaves the system only in the supervision copy (issue 14).

It is the clinician's private working material, legally apart from the record: the record PDF,
the client version, the FHIR bundle and the bulk export leave it out; the supervision copy of the
PDF prints it, says so on every page and in its title, and is only for the plan's author and the
author's current supervisors. Every download, and every refusal, is audited with its audience.
"""

import io
import json

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from audit.models import AccessLog
from formulation import services as formulation_services
from plans.lifecycle import transitions
from records import fhir, pdf
from records.models import BulkExport
from tests.factories import ClientFactory, SupervisionFactory, make_plan, staff

PRIVATE = "Pull to rescue her, then irritation when she declines help"
TRANSFERENCE = "Expects me to lose interest as her father did"
BANNER = "Supervision copy — contains the clinician's countertransference; not part of the record"


def write_countertransference(plan, text: str = PRIVATE):
    formulation = plan.formulation
    formulation_services.save_formulation_section(
        actor=plan.author,
        formulation=formulation,
        section="transference",
        expected_version=formulation.section_version("transference"),
        values={"transference": TRANSFERENCE, "countertransference": text, "resistance": "Arrives late"},
    )
    formulation.refresh_from_db()
    return plan


def _reader(response) -> PdfReader:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    return PdfReader(io.BytesIO(response.content))


def _pages(reader: PdfReader) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in reader.pages]


@pytest.fixture
def signed_plan(own_client):
    """A signed plan of the clinician's, long enough to run over several pages."""
    plan = write_countertransference(make_plan(own_client, goals=6, objectives=4))
    return transitions.submit_plan(actor=plan.author, plan=plan)


def test_the_record_and_the_client_version_leave_it_out_and_the_supervision_copy_prints_it_on_every_page(
    signed_plan, clinician, login
):
    web = login(clinician)
    clinical = _reader(web.get(f"/plans/{signed_plan.pk}/pdf/"))
    client = _reader(web.get(f"/plans/{signed_plan.pk}/pdf/?audience=client"))
    supervision_response = web.get(f"/plans/{signed_plan.pk}/pdf/?audience=supervision")
    supervision = _reader(supervision_response)

    clinical_text, client_text, supervision_pages = (
        " ".join(_pages(clinical)),
        " ".join(_pages(client)),
        _pages(supervision),
    )
    # The record keeps the rest of the section, and is not headed as a supervision copy.
    assert TRANSFERENCE in clinical_text and "Arrives late" in clinical_text
    assert PRIVATE not in clinical_text and BANNER not in clinical_text and "Supervision copy" not in clinical_text
    assert clinical.metadata.title == f"Treatment plan v1 – {signed_plan.client.chart_number}"
    assert PRIVATE not in client_text and "Supervision copy" not in client_text

    supervision_text = " ".join(supervision_pages)
    assert PRIVATE in supervision_text and TRANSFERENCE in supervision_text
    assert len(supervision_pages) >= 2
    for number, page in enumerate(supervision_pages, start=1):
        assert BANNER in page, f"page {number} does not say it is a supervision copy"
        assert "Confidential: contains protected health information" in page
        assert f"Page {number} of {len(supervision_pages)}" in page
    assert f"Printed for {clinician.printed_name} for supervision" in supervision_text
    assert supervision.metadata.title == f"{BANNER}: Treatment plan v1 – {signed_plan.client.chart_number}"
    assert f"plan-{signed_plan.client.chart_number}-v1-supervision.pdf" in supervision_response["Content-Disposition"]
    assert supervision_response["Cache-Control"] == "no-store"


@pytest.fixture
def former_supervisor(practice, clinician):
    """Supervised the clinician until yesterday."""
    import datetime as dt

    user = staff(practice, is_clinician=True, is_supervisor=True)
    SupervisionFactory(
        supervisor=user,
        supervisee=clinician,
        started_on=dt.date(2025, 1, 1),
        ended_on=practice.today() - dt.timedelta(days=1),
    )
    return user


@pytest.fixture
def admin_supervisor(practice, clinician):
    """A practice admin who is also a clinician and supervises the clinician: she reads it as a supervisor."""
    user = staff(practice, is_clinician=True, is_supervisor=True, is_practice_admin=True)
    SupervisionFactory(supervisor=user, supervisee=clinician)
    return user


# Who asks for the supervision copy of the clinician's plan, and the answer.
SUPERVISION_COPY_MATRIX = [
    ("clinician", 200),  # the author
    ("supervisor", 200),  # the author's current, qualified supervisor
    ("admin_supervisor", 200),  # an admin, but here as the author's supervisor
    ("admin", 403),  # reads the plan, not the clinician's private material
    ("colleague", 404),  # an unrelated clinician of the practice: the plan is not in her view
    ("trainee", 404),
    ("former_supervisor", 404),  # the link has ended, and with it the view of the caseload
    ("outsider", 404),  # another practice
]


@pytest.mark.parametrize(("role", "status"), SUPERVISION_COPY_MATRIX)
def test_the_supervision_copy_is_for_the_author_and_the_authors_current_supervisors(
    role, status, request, signed_plan, login
):
    user = request.getfixturevalue(role)
    web = login(user)
    response = web.get(f"/plans/{signed_plan.pk}/pdf/?audience=supervision")
    assert response.status_code == status
    if status == 200:
        assert PRIVATE in " ".join(_pages(_reader(response)))
    else:
        assert PRIVATE.encode() not in response.content
    entry = AccessLog.objects.filter(actor=user).order_by("-pk").first()
    if status == 200:
        assert (entry.action, entry.outcome) == ("pdf_download", "ok")
        assert entry.detail == "records:pdf audience=supervision"
    else:
        assert (entry.action, entry.outcome) == ("read", "denied")
        assert entry.detail == f"records:pdf {status} audience=supervision"
    assert (entry.object_type, entry.object_id) == ("plan", str(signed_plan.pk))


@pytest.mark.parametrize(("role", "status"), SUPERVISION_COPY_MATRIX)
def test_the_api_gives_the_supervision_copy_by_the_same_rule(role, status, request, signed_plan, api):
    user = request.getfixturevalue(role)
    response = api(user).get(f"/api/v1/plans/{signed_plan.pk}/pdf/?audience=supervision")
    assert response.status_code == status
    if status == 200:
        assert PRIVATE in " ".join(_pages(_reader(response)))
    else:
        assert response["Content-Type"] == "application/json"
    entry = AccessLog.objects.filter(actor=user).order_by("-pk").first()
    assert entry.action == ("pdf_download" if status == 200 else "read")
    assert entry.detail == ("api:plan-pdf" if status == 200 else f"api:plan-pdf {status}") + " audience=supervision"
    assert (entry.object_type, entry.object_id) == ("plan", str(signed_plan.pk))
    assert entry.client_id == signed_plan.client_id


def test_a_trainees_supervisor_may_have_the_supervision_copy_of_her_plan(trainee, supervisor, login):
    plan = write_countertransference(make_plan(ClientFactory(primary_clinician=trainee)))
    plan = transitions.approve_plan(actor=supervisor, plan=transitions.submit_plan(actor=trainee, plan=plan))
    text = " ".join(_pages(_reader(login(supervisor).get(f"/plans/{plan.pk}/pdf/?audience=supervision"))))
    assert PRIVATE in text and BANNER in text


def test_every_download_is_audited_with_its_audience(signed_plan, clinician, login, api):
    web = login(clinician)
    for query, audience in [("", "clinical"), ("?audience=client", "client"), ("?audience=bogus", "clinical")]:
        assert web.get(f"/plans/{signed_plan.pk}/pdf/{query}").status_code == 200
        entry = AccessLog.objects.order_by("-pk").first()
        assert (entry.action, entry.detail) == ("pdf_download", f"records:pdf audience={audience}")
    assert api(clinician).get(f"/api/v1/plans/{signed_plan.pk}/pdf/?audience=client").status_code == 200
    entry = AccessLog.objects.order_by("-pk").first()
    assert (entry.action, entry.detail) == ("pdf_download", "api:plan-pdf audience=client")
    # The API refuses an audience it does not know rather than guessing.
    assert api(clinician).get(f"/api/v1/plans/{signed_plan.pk}/pdf/?audience=bogus").status_code == 400


def test_rendering_the_supervision_copy_asks_the_policy_whoever_calls(signed_plan, admin, clinician):
    from django.core.exceptions import PermissionDenied

    for reader in (None, admin):
        with pytest.raises(PermissionDenied):
            pdf.render_html(signed_plan, audience=pdf.Audience.SUPERVISION, reader=reader)
    assert PRIVATE in pdf.render_html(signed_plan, audience=pdf.Audience.SUPERVISION, reader=clinician)
    assert PRIVATE not in pdf.render_html(signed_plan)
    assert PRIVATE not in pdf.render_html(signed_plan, audience=pdf.Audience.CLIENT)


def test_the_fhir_bundle_carries_no_countertransference(signed_plan, clinician, api):
    assert PRIVATE not in json.dumps(fhir.plan_bundle(signed_plan), ensure_ascii=False)
    response = api(clinician).get(f"/api/v1/plans/{signed_plan.pk}/fhir/")
    assert response.status_code == 200 and PRIVATE not in response.content.decode()
    entry = AccessLog.objects.order_by("-pk").first()
    assert (entry.action, entry.object_type, entry.object_id) == ("fhir_export", "plan", str(signed_plan.pk))


def test_the_bulk_export_is_the_record_and_its_pdfs_leave_it_out(
    admin, signed_plan, login, django_capture_on_commit_callbacks
):
    import zipfile

    web = login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        web.post("/plans/exports/", {"client_status": "", "clinician": "", "date_from": "", "date_to": ""})
    export = BulkExport.objects.get()
    export.refresh_from_db()
    assert export.status == "finished" and export.total == 1
    with default_storage.open(export.zip_path, "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    (name,) = [n for n in archive.namelist() if n.endswith(".pdf")]
    assert not name.endswith("-supervision.pdf")
    text = " ".join(_pages(PdfReader(io.BytesIO(archive.read(name)))))
    assert TRANSFERENCE in text, "the export holds the record's formulation"
    assert PRIVATE not in text and "Supervision copy" not in text
