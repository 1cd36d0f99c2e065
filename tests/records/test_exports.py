"""Bulk export: scope, ZIP and manifest, a failing plan, retry, expiry, and who may download."""

import csv
import datetime as dt
import hashlib
import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import User
from plans.lifecycle import transitions
from plans.models import TreatmentPlan
from records import exports, pdf
from records.models import BulkExport
from tests.conftest import wait_for
from tests.factories import ClientFactory, make_plan


def _zip(export: BulkExport) -> tuple[list[dict], dict[str, bytes]]:
    with default_storage.open(export.zip_path, "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    files = {name: archive.read(name) for name in archive.namelist()}
    manifest = list(csv.DictReader(io.StringIO(files.pop("manifest.csv").decode())))
    return manifest, files


def _assert_manifest_matches_files(manifest, files) -> None:
    done = [row for row in manifest if row["result"] == "done"]
    assert sorted(files) == sorted(row["file_name"] for row in done)
    for row in done:
        content = files[row["file_name"]]
        assert hashlib.sha256(content).hexdigest() == row["sha256"]
        assert len(PdfReader(io.BytesIO(content)).pages) == int(row["page_count"])


def _fail_for(monkeypatch, plan_id: int) -> None:
    real = pdf.render_plan_id

    def flaky(pk, **kwargs):
        if pk == plan_id:
            raise RuntimeError("forced failure for the test")
        return real(pk, **kwargs)

    monkeypatch.setattr(pdf, "render_plan_id", flaky)


@pytest.fixture
def signed_plans(clinician, colleague):
    plans = [
        transitions.submit_plan(actor=clinician, plan=make_plan(ClientFactory(primary_clinician=clinician))),
        transitions.submit_plan(actor=colleague, plan=make_plan(ClientFactory(primary_clinician=colleague))),
    ]
    make_plan(ClientFactory(primary_clinician=clinician))  # a draft: not a record, not exported
    return plans


def test_export_zips_every_signed_version_with_a_verified_manifest(
    admin, signed_plans, monkeypatch, login, django_capture_on_commit_callbacks
):
    _fail_for(monkeypatch, signed_plans[1].pk)
    web = login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post("/plans/exports/", {"client_status": "", "clinician": "", "date_from": "", "date_to": ""})
    export = BulkExport.objects.get()
    assert response["Location"] == f"/plans/exports/{export.pk}/"
    export.refresh_from_db()
    assert export.status == "finished" and export.total == 2
    manifest, files = _zip(export)
    assert [(r["chart_number"], r["plan_version"], r["status"], r["result"]) for r in manifest] == sorted(
        [(p.client.chart_number, "1", "active", "done" if p == signed_plans[0] else "failed") for p in signed_plans]
    )
    failed = next(r for r in manifest if r["result"] == "failed")
    assert failed["error"] == "Rendering failed (RuntimeError)."
    _assert_manifest_matches_files(manifest, files)
    page = web.get(f"/plans/exports/{export.pk}/").content.decode()
    assert "1 failed" in page and "Rendering failed (RuntimeError)." in page

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        web.post(f"/plans/exports/{export.pk}/retry/")
    export.refresh_from_db()
    manifest, files = _zip(export)
    assert [r["result"] for r in manifest] == ["done", "done"]
    _assert_manifest_matches_files(manifest, files)
    download = web.get(f"/plans/exports/{export.pk}/download/")
    assert download["Cache-Control"] == "no-store"
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == export.zip_sha256


def test_export_filters_by_clinician_and_date_range(admin, clinician, signed_plans, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        by_clinician = exports.request_export(actor=admin, clinician=clinician)
        none_in_range = exports.request_export(actor=admin, date_from=dt.date(2030, 1, 1))
    by_clinician.refresh_from_db()
    none_in_range.refresh_from_db()
    assert by_clinician.total == 1 and none_in_range.total == 0
    manifest, files = _zip(none_in_range)
    assert manifest == [] and files == {}


@pytest.mark.parametrize("role", ["clinician", "supervisor"])
def test_only_practice_admins_export(db, role, request, login):
    web = login(request.getfixturevalue(role))
    assert web.get("/plans/exports/").status_code == 404
    assert web.post("/plans/exports/", {}).status_code == 404
    assert not BulkExport.objects.exists()


def test_another_admin_cannot_see_or_download_an_export(
    admin, practice, signed_plans, login, django_capture_on_commit_callbacks
):
    from tests.factories import staff

    with django_capture_on_commit_callbacks(execute=True):
        export = exports.request_export(actor=admin)
    second_admin = staff(practice, is_practice_admin=True)
    web = login(second_admin)
    assert web.get(f"/plans/exports/{export.pk}/").status_code == 404
    assert web.get(f"/plans/exports/{export.pk}/download/").status_code == 404


def test_expired_exports_lose_their_files(admin, signed_plans, django_capture_on_commit_callbacks, login):
    with django_capture_on_commit_callbacks(execute=True):
        export = exports.request_export(actor=admin)
    export.refresh_from_db()
    path = export.zip_path
    assert default_storage.exists(path)
    assert exports.purge_expired(now=timezone.now() + dt.timedelta(hours=25)) == 1
    export.refresh_from_db()
    assert export.status == "expired" and not default_storage.exists(path)
    assert login(admin).get(f"/plans/exports/{export.pk}/download/").status_code == 404


@pytest.mark.celery_worker
def test_bulk_export_of_all_demo_plans_runs_through_a_real_worker(
    celery_worker_app, transactional_db, monkeypatch, settings
):
    settings.DEBUG = True
    call_command("seed_demo")
    admin = User.objects.get(email="admin@demo.test")
    in_scope = TreatmentPlan.objects.visible_to(admin).filter(status__in=["in_review", "active"])
    assert in_scope.count() >= 3
    doomed = in_scope.order_by("pk").first()
    _fail_for(monkeypatch, doomed.pk)
    export = exports.request_export(actor=admin)
    wait_for(lambda: BulkExport.objects.get(pk=export.pk).status == "finished", timeout=120)
    export.refresh_from_db()
    manifest, files = _zip(export)
    assert len(manifest) == in_scope.count() == export.total
    assert [r["chart_number"] for r in manifest if r["result"] == "failed"] == [doomed.client.chart_number]
    _assert_manifest_matches_files(manifest, files)
    assert len(files) == in_scope.count() - 1


def test_requesting_and_downloading_an_export_are_both_audited(
    admin, signed_plans, login, django_capture_on_commit_callbacks
):
    from audit.models import AccessLog

    web = login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        web.post("/plans/exports/", {"client_status": "", "clinician": "", "date_from": "", "date_to": ""})
    export = BulkExport.objects.get()
    web.get(f"/plans/exports/{export.pk}/download/")
    rows = AccessLog.objects.filter(action="bulk_export", object_id=str(export.pk)).values_list("detail", flat=True)
    assert "requested" in list(rows) and len(rows) >= 2
