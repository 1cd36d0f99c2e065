"""Chart labels are plain text: a measure named in matplotlib's math syntax still draws.

Matplotlib reads `$...$` in any label as mathtext, so a practice measure named
`Mood $\\undefinedcmd{x}$` raised a ValueError when its chart was drawn: on the plan page's
chart, in the clinical PDF and in every bulk export containing that client's plans.
"""

import csv
import datetime as dt
import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from plans.lifecycle import transitions
from plans.models import MeasureDefinition
from progress import charts
from progress.services import record_measure
from records import exports, pdf
from records.models import BulkExport
from tests.factories import make_plan

MATH_NAME = r"Mood $\undefinedcmd{x}$"


@pytest.fixture
def math_measure(admin, login):
    """Added as an admin would, through the library page."""
    web = login(admin)
    response = web.post(
        "/plans/library/measure/add/",
        {"measure-name": MATH_NAME, "measure-min_score": 0, "measure-max_score": 10, "measure-direction": "lower"},
    )
    assert response.status_code == 302
    measure = MeasureDefinition.objects.get(name=MATH_NAME)
    measure.bands = [[0, 4, r"low $\frac{1}{2}$"], [5, 10, "high $x^"]]
    measure.save()
    return measure


@pytest.fixture
def scored_plan(own_client, clinician, math_measure):
    plan = transitions.submit_plan(actor=clinician, plan=make_plan(own_client))
    for days_ago, total in ((30, 8), (0, 3)):
        record_measure(
            actor=clinician,
            client=own_client,
            definition=math_measure,
            recorded_on=own_client.practice.today() - dt.timedelta(days=days_ago),
            total=total,
        )
    return plan


def test_a_measure_named_in_math_syntax_draws_its_name_as_plain_text(scored_plan, math_measure, clinician, login):
    response = login(clinician).get(f"/plans/{scored_plan.pk}/charts/{math_measure.code}.svg")
    assert response.status_code == 200
    svg = response.content.decode()
    assert r"\undefinedcmd{x}$ over time" in svg
    assert r"low $\frac{1}{2}$" in svg and "high $x^" in svg


def test_objective_labels_are_plain_text_too():
    svg = charts.objective_chart([(r"$\undefinedcmd$ 1.1", [(dt.date(2026, 1, 5), 20), (dt.date(2026, 3, 5), 60)])])
    assert r"$\undefinedcmd$ 1.1" in svg


def test_the_clinical_pdf_of_a_plan_with_such_a_measure_renders(scored_plan, clinician, login):
    response = login(clinician).get(f"/plans/{scored_plan.pk}/pdf/")
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Mood $" in text


def test_a_bulk_export_containing_such_a_plan_finishes_with_its_pdf(
    scored_plan, admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export = exports.request_export(actor=admin)
    export.refresh_from_db()
    assert export.status == BulkExport.Status.FINISHED, export.__dict__
    with default_storage.open(export.zip_path, "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert [row["result"] for row in manifest] == ["done"]
    assert len(PdfReader(io.BytesIO(archive.read(manifest[0]["file_name"]))).pages) >= 1
    assert pdf.render_plan_id(scored_plan.pk, user=admin).pages >= 1
