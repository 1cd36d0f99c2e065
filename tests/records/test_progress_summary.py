"""The clinical PDF's optional progress summary (issue 14): only when asked for, from the signed
notes since the last review, never with process notes or the countertransference."""

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from audit.models import AccessLog
from formulation.models import DefenseMechanism
from notes import services as note_services
from notes.models import ServiceType
from plans.lifecycle import transitions
from plans.models import Objective
from records import pdf
from tests.factories import make_plan
from tests.notes.builders import held, record
from tests.records.test_supervision_copy import PRIVATE, write_countertransference

PROCESS_CANARY = "Process-note canary: my own unease in the room"
HEADING = "Progress summary since 2026-11-02"


@pytest.fixture
def plan(own_client, clinician):
    plan = transitions.submit_plan(actor=clinician, plan=write_countertransference(make_plan(own_client, objectives=2)))
    individual = ServiceType.objects.get(practice=None, code="individual")
    first = Objective.objects.filter(goal__plan=plan).order_by("order", "pk").first()
    for day, level_name in ((3, "Denial"), (10, "Humour"), (12, "Humour")):
        session = held(
            clinician,
            own_client,
            individual,
            dt.date(2026, 11, day),
            objectives=[{"objective": first, "evidence": f"Evidence of the {day}th", "movement": "clear_movement"}],
            defenses=[{"mechanism": DefenseMechanism.objects.get(name=level_name, practice=None), "count": 1}],
        )
    note_services.write_process_note(actor=clinician, client=own_client, text=PROCESS_CANARY, session=session)
    record(clinician, own_client, individual, date=dt.date(2026, 11, 17), attendance="no_show", reason="Away.")
    return plan


def _text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_the_record_has_no_progress_summary_unless_asked(plan, clinician, login):
    response = login(clinician).get(f"/plans/{plan.pk}/pdf/")
    assert response.status_code == 200
    assert HEADING not in _text(response.content)


def test_the_summary_prints_attendance_evidence_drift_and_the_functioning_trend(plan, clinician, login):
    response = login(clinician).get(f"/plans/{plan.pk}/pdf/?summary=1")
    text = _text(response.content)
    assert HEADING in text
    assert "Attended Late cancellation No-show Cancelled by clinician 3 0 1 0" in text
    assert "2026-11-03 Clear movement Evidence of the 3th" in text
    assert "Drifting: not worked on in any session since 2026-11-02" in text
    assert "Identify pattern 1.2 in relationships" in text.split("Drifting objectives:")[1]
    assert "Trend: rising" in text
    assert "Humour (level 7, 2×); Denial (level 3, 1×)" in text
    # The summary says what the notes say, never the private working material.
    assert PROCESS_CANARY not in text and PRIVATE not in text
    assert AccessLog.objects.filter(detail__contains="summary=progress").exists()


def test_the_client_version_never_carries_the_summary(plan):
    html = pdf.render_html(plan, audience=pdf.Audience.CLIENT, summary=True)
    assert "Progress summary" not in html


def test_the_api_pdf_action_takes_the_summary_flag(plan, clinician):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(clinician)
    with_summary = api.get(f"/api/v1/plans/{plan.pk}/pdf/?summary=true")
    assert with_summary.status_code == 200 and HEADING in _text(with_summary.content)
    without = api.get(f"/api/v1/plans/{plan.pk}/pdf/?summary=false")
    assert HEADING not in _text(without.content)
    refused = api.get(f"/api/v1/plans/{plan.pk}/pdf/?summary=maybe", HTTP_ACCEPT="application/json")
    assert refused.status_code == 400


def test_the_plan_page_links_the_pdf_with_the_summary(plan, clinician, login):
    page = login(clinician).get(f"/plans/{plan.pk}/").content.decode()
    assert f'href="/plans/{plan.pk}/pdf/?summary=1"' in page
