"""Helpers that take a bare id read through the access door of the person they act for.

`pdf.render_plan_id` (the export task's renderer) and `progress.services.scores_for` once fetched
whatever id they were given; an id out of the acting person's view must give nothing.
"""

import csv
import datetime as dt
import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from accounts.models import Membership
from plans.lifecycle import transitions
from plans.models import MeasureDefinition, TreatmentPlan
from progress import services
from records import exports, pdf
from records.models import BulkExport, BulkExportItem
from tests.factories import make_plan


@pytest.fixture
def signed_plan(own_client, clinician):
    return transitions.submit_plan(actor=clinician, plan=make_plan(own_client))


@pytest.fixture
def scored_client(own_client, clinician):
    phq9 = MeasureDefinition.objects.get(code="phq9")
    services.record_measure(
        actor=clinician, client=own_client, definition=phq9, recorded_on=dt.date(2026, 9, 1), items=[1] * 9
    )
    return own_client


def test_render_plan_id_renders_a_plan_for_someone_who_may_see_it(signed_plan, admin):
    rendered = pdf.render_plan_id(signed_plan.pk, user=admin)
    assert len(PdfReader(io.BytesIO(rendered.content)).pages) == rendered.pages >= 1


@pytest.mark.parametrize("role", ["outsider", "colleague"])
def test_render_plan_id_gives_nothing_for_a_plan_out_of_view(signed_plan, role, request):
    with pytest.raises(TreatmentPlan.DoesNotExist):
        pdf.render_plan_id(signed_plan.pk, user=request.getfixturevalue(role))


def test_scores_for_gives_an_outsider_none_of_a_clients_scores(scored_client, clinician, supervisor, outsider):
    assert [s.total for s in services.scores_for(clinician, scored_client.pk)] == [9]
    assert [s.total for s in services.scores_for(supervisor, scored_client.pk)] == [9]
    assert services.scores_for(outsider, scored_client.pk) == []


def test_scores_for_gives_a_colleague_none_of_another_caseloads_scores(scored_client, colleague):
    assert services.scores_for(colleague, scored_client.pk) == []


def test_an_export_item_is_not_rendered_once_its_plan_left_the_requesters_view(signed_plan, admin):
    export = BulkExport.objects.create(practice=signed_plan.practice, requested_by=admin)
    [item_id] = exports.start(export.pk)
    # The admin loses the role before a worker gets to the item.
    Membership.objects.filter(user=admin).update(is_practice_admin=False)
    exports.render_item(item_id)
    item = BulkExportItem.objects.get(pk=item_id)
    assert item.status == BulkExportItem.Status.FAILED
    assert item.error == "Not exported: no longer visible to the requesting admin."
    assert not item.file_path


def test_an_export_finished_after_its_requester_lost_the_role_names_none_of_its_plans(signed_plan, admin):
    export = BulkExport.objects.create(practice=signed_plan.practice, requested_by=admin)
    [item_id] = exports.start(export.pk)
    exports.render_item(item_id)
    assert BulkExportItem.objects.get(pk=item_id).status == BulkExportItem.Status.DONE
    Membership.objects.filter(user=admin).update(is_practice_admin=False)

    assert exports.finalize(export.pk)
    export.refresh_from_db()
    with default_storage.open(export.zip_path, "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    assert archive.namelist() == ["manifest.csv"]
    manifest = archive.read("manifest.csv").decode()
    client = signed_plan.client
    assert client.full_name not in manifest and client.chart_number not in manifest
    [row] = list(csv.DictReader(io.StringIO(manifest)))
    assert row["result"] == "failed" and row["error"] == "Not exported: no longer visible to the requesting admin."
    assert BulkExportItem.objects.get(pk=item_id).status == BulkExportItem.Status.FAILED
