"""The bulk-export ZIP is streamed to disk and from disk: its memory does not grow with the practice."""

import datetime as dt
import hashlib
import io
import os
import tracemalloc
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.utils import timezone

from plans.lifecycle import transitions
from records import exports
from records.models import BulkExport, BulkExportItem
from tests.factories import ClientFactory, make_plan

# Incompressible, so the archive is about as large as the files it holds.
FILE_SIZE = 3 * 1024 * 1024


@pytest.fixture(autouse=True)
def own_storage(settings, tmp_path):
    """A private media directory of this test's own, so listing it shows only this export's files."""
    settings.STORAGES = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}
    }


@pytest.fixture
def rendered_export(admin, clinician, practice):
    """A running export whose items are all rendered: large stand-in files already in storage."""
    export = BulkExport.objects.create(practice=practice, requested_by=admin, status=BulkExport.Status.RUNNING)
    contents = {}
    for index in range(3):
        plan = transitions.submit_plan(actor=clinician, plan=make_plan(ClientFactory(primary_clinician=clinician)))
        content = os.urandom(FILE_SIZE)
        name = f"plan-{index}.pdf"
        path = default_storage.save(f"exports/{export.pk}/{name}", ContentFile(content))
        BulkExportItem.objects.create(
            export=export,
            plan=plan,
            status=BulkExportItem.Status.DONE,
            file_name=name,
            file_path=path,
            sha256=hashlib.sha256(content).hexdigest(),
            pages=1,
        )
        contents[name] = content
    return export, contents


def test_finalize_writes_the_archive_without_holding_it_in_memory(rendered_export):
    export, contents = rendered_export
    tracemalloc.start()
    try:
        assert exports.finalize(export.pk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    export.refresh_from_db()
    size = default_storage.size(export.zip_path)
    assert size > len(contents) * FILE_SIZE
    # Chunks only: a whole PDF, let alone the whole archive, is never in memory at once.
    assert peak < FILE_SIZE / 2, f"peak {peak} bytes while writing a {size}-byte archive"


def test_the_streamed_archive_holds_every_file_and_its_stored_hash_is_the_files(rendered_export):
    export, contents = rendered_export
    exports.finalize(export.pk)
    export.refresh_from_db()
    assert export.status == BulkExport.Status.FINISHED
    with default_storage.open(export.zip_path, "rb") as handle:
        data = handle.read()
    assert hashlib.sha256(data).hexdigest() == export.zip_sha256
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert {name: archive.read(name) for name in contents} == contents
    assert archive.read("manifest.csv").decode().count("\n") == len(contents) + 1


def test_finalize_leaves_no_partial_file_beside_the_archive(rendered_export):
    export, _ = rendered_export
    exports.finalize(export.pk)
    export.refresh_from_db()
    _, files = default_storage.listdir("exports")
    assert files == [os.path.basename(export.zip_path)]


def test_a_failed_finalize_removes_its_partial_file_and_leaves_the_export_running(rendered_export, monkeypatch):
    export, _ = rendered_export

    def full_disk(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(exports.shutil, "copyfileobj", full_disk)
    with pytest.raises(OSError, match="No space"):
        exports.finalize(export.pk)
    export.refresh_from_db()
    assert export.status == BulkExport.Status.RUNNING and not export.zip_path
    assert default_storage.listdir("exports")[1] == []


def test_finalizing_again_replaces_the_archive_under_the_same_name(rendered_export):
    export, _ = rendered_export
    exports.finalize(export.pk)
    export.refresh_from_db()
    first = export.zip_path
    BulkExport.objects.filter(pk=export.pk).update(status=BulkExport.Status.RUNNING)
    exports.finalize(export.pk)
    export.refresh_from_db()
    assert export.zip_path == first == f"exports/{export.pk}.zip"
    assert default_storage.listdir("exports")[1] == [f"{export.pk}.zip"]


def test_the_download_streams_the_archive_from_disk_with_private_headers(rendered_export, admin, login):
    export, _ = rendered_export
    exports.finalize(export.pk)
    export.refresh_from_db()
    response = login(admin).get(f"/plans/exports/{export.pk}/download/")
    assert isinstance(response, FileResponse) and response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="psyplan-export-{export.pk}.zip"'
    assert int(response["Content-Length"]) == default_storage.size(export.zip_path)
    assert "no-store" in response["Cache-Control"]
    chunks = list(response.streaming_content)
    # Served a block at a time, never as one body.
    assert len(chunks) > 1 and max(len(c) for c in chunks) <= response.block_size
    assert hashlib.sha256(b"".join(chunks)).hexdigest() == export.zip_sha256


def test_purging_removes_a_spooled_file_a_killed_worker_left_once_it_is_a_day_old(rendered_export, settings):
    export, _ = rendered_export
    left = default_storage.save(f"exports/.{export.pk}-abc{exports.SPOOL_SUFFIX}", ContentFile(b"PK partial"))
    now = timezone.now()
    exports.purge_expired(now=now)
    assert default_storage.exists(left)
    exports.purge_expired(now=now + dt.timedelta(hours=settings.EXPORT_TTL_HOURS + 1))
    assert not default_storage.exists(left)
    assert default_storage.exists(f"exports/{export.pk}/plan-0.pdf")
