"""Practice-wide bulk export of PDF records.

An admin chooses clients (all, by status, by clinician) and a date range. Every submitted
plan version in scope becomes one item; items render independently, so several workers share
the work and one failing plan never stops the batch. When none is pending, the ZIP is
written with a manifest.csv (client, chart number, plan version, status, file name, SHA-256,
page count, result), streamed to a file on disk PDF by PDF in chunks and moved into storage, so
the memory it takes does not grow with the practice. Files live in private storage, reachable only
through an access-checked view (which streams them from disk), and are removed when the export expires.
"""

import csv
import datetime as dt
import hashlib
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts import policy
from accounts.models import Membership, User
from audit import log
from core.outbox import enqueue
from plans.models import LOCKED_STATUSES, TreatmentPlan
from records import pdf
from records.models import BulkExport, BulkExportItem

Status = BulkExport.Status
ItemStatus = BulkExportItem.Status
OUT_OF_VIEW = "no longer visible to the requesting admin"
MANIFEST_COLUMNS = [
    "client",
    "chart_number",
    "plan_version",
    "status",
    "file_name",
    "sha256",
    "page_count",
    "result",
    "error",
]
# How much of a file is read at once while the ZIP is written and hashed. Deflating a chunk holds a
# few times its size, so a small one keeps the peak well under a megabyte.
CHUNK = 64 * 1024
SPOOL_SUFFIX = ".zip.partial"


def plans_in_scope(export: BulkExport):
    """Every submitted version the requesting admin can see that matches the export's filters."""
    return plans_matching(
        requested_by=export.requested_by,
        client_status=export.client_status,
        clinician_id=export.clinician_id,
        date_from=export.date_from,
        date_to=export.date_to,
    )


def plans_matching(
    *,
    requested_by: User,
    client_status: str = "",
    clinician_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
):
    """The plans an export with these filters takes: one answer for the count shown before it starts and the run."""
    plans = TreatmentPlan.objects.visible_to(requested_by).filter(status__in=LOCKED_STATUSES)
    if client_status:
        plans = plans.filter(client__status=client_status)
    if clinician_id:
        plans = plans.filter(client__primary_clinician_id=clinician_id)
    if date_from:
        plans = plans.filter(start_date__gte=date_from)
    if date_to:
        plans = plans.filter(start_date__lte=date_to)
    return plans.order_by("client__chart_number", "version_number")


def count_in_scope(
    *,
    actor: User,
    client_status: str = "",
    clinician: User | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> int:
    """How many plans an export with these filters would take (one count query)."""
    return (
        plans_matching(
            requested_by=actor,
            client_status=client_status,
            clinician_id=clinician.pk if clinician else None,
            date_from=date_from,
            date_to=date_to,
        )
        .order_by()
        .count()
    )


@transaction.atomic
def request_export(
    *,
    actor: User,
    client_status: str = "",
    clinician: User | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> BulkExport:
    if not policy.can(actor, policy.Action.EXPORT):
        raise PermissionDenied("Only practice admins export records in bulk.")
    membership = policy.membership_of(actor)
    if clinician is not None and not Membership.objects.filter(user=clinician, practice=membership.practice).exists():
        raise ValidationError({"clinician": "Choose a clinician of your practice."})
    if date_from and date_to and date_from > date_to:
        raise ValidationError({"date_to": "The end of the range is before its start."})
    export = BulkExport.objects.create(
        practice=membership.practice,
        requested_by=actor,
        client_status=client_status,
        clinician=clinician,
        date_from=date_from,
        date_to=date_to,
    )
    # Known from the first frame, so the progress never reads "0 of 0"; the run recounts its items.
    export.total = plans_in_scope(export).order_by().count()
    export.save(update_fields=["total"])

    log.record(
        action=log.Action.BULK_EXPORT,
        actor=actor,
        object_type="bulk_export",
        object_id=export.pk,
        subject_practice_id=export.practice_id,
        detail="requested",
    )
    enqueue("plans.tasks.start_bulk_export", export.pk)
    return export


def start(export_id: int) -> list[int]:
    """Create one item per plan in scope (idempotent) and return the pending item ids."""
    with transaction.atomic():
        export = BulkExport.objects.select_for_update().select_related("requested_by").get(pk=export_id)
        if export.status in (Status.FINISHED, Status.EXPIRED):
            return []
        plan_ids = list(plans_in_scope(export).values_list("pk", flat=True))
        BulkExportItem.objects.bulk_create(
            [BulkExportItem(export=export, plan_id=pk) for pk in plan_ids], ignore_conflicts=True
        )
        export.total = export.items.count()
        export.status = Status.RUNNING
        export.save(update_fields=["total", "status"])
    pending = list(export.items.filter(status=ItemStatus.PENDING).values_list("pk", flat=True))
    if not pending:
        finalize(export.pk)
    return pending


def render_item(item_id: int) -> None:
    """Render one plan's PDF into private storage. A second delivery of a done item does nothing."""
    item = BulkExportItem.objects.select_related("export__requested_by").filter(pk=item_id).first()
    if item is None or item.status == ItemStatus.DONE:
        return
    export = item.export
    BulkExportItem.objects.filter(pk=item.pk).update(attempts=item.attempts + 1)
    try:
        # Through the access door again: the admin may have lost their role since asking.
        try:
            rendered = pdf.render_plan_id(item.plan_id, user=export.requested_by)
        except TreatmentPlan.DoesNotExist:
            raise PermissionDenied(OUT_OF_VIEW) from None
        path = f"exports/{export.pk}/{rendered.file_name}"
        if default_storage.exists(path):
            default_storage.delete(path)
        saved = default_storage.save(path, ContentFile(rendered.content))
        BulkExportItem.objects.filter(pk=item.pk).update(
            status=ItemStatus.DONE,
            file_name=rendered.file_name,
            file_path=saved,
            sha256=rendered.sha256,
            pages=rendered.pages,
            error="",
        )
    except Exception as exc:  # noqa: BLE001 - one plan's failure is recorded and the batch goes on
        # The reason names the kind of failure only; messages could carry clinical text.
        BulkExportItem.objects.filter(pk=item.pk).update(status=ItemStatus.FAILED, error=_reason(exc))


def _reason(exc: Exception) -> str:
    if isinstance(exc, SoftTimeLimitExceeded):
        return "Rendering took too long and was stopped."
    if isinstance(exc, PermissionDenied):
        return f"Not exported: {exc}."
    return f"Rendering failed ({type(exc).__name__})."


def finalize(export_id: int) -> bool:
    """Write the ZIP once nothing is pending. Safe to call after every item and more than once."""
    with transaction.atomic():
        export = BulkExport.objects.select_for_update().get(pk=export_id)
        if export.status != Status.RUNNING or export.items.filter(status=ItemStatus.PENDING).exists():
            return False
        items = list(
            export.items.select_related("plan__client").order_by("plan__client__chart_number", "plan__version_number")
        )
        # Through the access door again, as each item was rendered: a plan that left the requester's
        # view since (the admin lost the role) is named nowhere in the ZIP, not even in the manifest.
        visible = set(
            TreatmentPlan.objects.visible_to(export.requested_by)
            .filter(pk__in=export.items.values("plan_id"))
            .values_list("pk", flat=True)
        )
        for item in items:
            if item.plan_id not in visible and item.status != ItemStatus.FAILED:
                item.status, item.error = ItemStatus.FAILED, f"Not exported: {OUT_OF_VIEW}."
                BulkExportItem.objects.filter(pk=item.pk).update(status=item.status, error=item.error)
        manifest = io.StringIO()
        writer = csv.writer(manifest)
        writer.writerow(MANIFEST_COLUMNS)
        with _spool(export.pk) as spool:
            with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for item in items:
                    if item.plan_id not in visible:
                        writer.writerow(["", "", "", "", "", "", "", item.status, item.error])
                        continue
                    plan = item.plan
                    writer.writerow(
                        [
                            plan.client.full_name,
                            plan.client.chart_number,
                            plan.version_number,
                            plan.status,
                            item.file_name,
                            item.sha256,
                            item.pages if item.status == ItemStatus.DONE else "",
                            item.status,
                            item.error,
                        ]
                    )
                    if item.status == ItemStatus.DONE:
                        # Copied in chunks: a PDF is never read whole, the archive never held in memory.
                        with (
                            default_storage.open(item.file_path, "rb") as source,
                            archive.open(item.file_name, "w") as target,
                        ):
                            shutil.copyfileobj(source, target, CHUNK)
                # One short row per plan: a few hundred kilobytes for thousands of plans.
                archive.writestr("manifest.csv", manifest.getvalue())
            export.zip_sha256 = _sha256_of(spool)
            path = f"exports/{export.pk}.zip"
            if default_storage.exists(path):
                default_storage.delete(path)
            # On the file system storage this is a rename of the spooled file, not a copy.
            export.zip_path = default_storage.save(path, _SpooledFile(spool))
        export.status = Status.FINISHED
        export.finished_at = timezone.now()
        export.expires_at = export.finished_at + dt.timedelta(hours=settings.EXPORT_TTL_HOURS)
        export.save()
    return True


@contextmanager
def _spool(export_id: int) -> Iterator:
    """A file on disk to write the ZIP into, beside the storage's files when the storage is on the
    file system (so saving it is a rename), removed if it was not moved into storage."""
    location = getattr(default_storage, "location", None)
    directory = os.path.join(location, "exports") if location else None
    if directory:
        os.makedirs(directory, exist_ok=True)
    # Private to this process's user (0600), and hidden from anything listing exports/.
    handle = tempfile.NamedTemporaryFile(dir=directory, prefix=f".{export_id}-", suffix=SPOOL_SUFFIX, delete=False)  # noqa: SIM115 - closed below
    try:
        yield handle
    finally:
        handle.close()
        if os.path.exists(handle.name):
            os.unlink(handle.name)


def _sha256_of(handle) -> str:
    handle.flush()
    handle.seek(0)
    digest = hashlib.sha256()
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


class _SpooledFile(File):
    """The spooled ZIP as a file the file system storage moves into place rather than copies
    (the `temporary_file_path` of an upload); any other storage reads it in chunks."""

    def temporary_file_path(self) -> str:
        return self.file.name


@transaction.atomic
def retry_failed(*, actor: User, export: BulkExport) -> list[int]:
    export = BulkExport.objects.of_requester(actor).select_for_update().filter(pk=export.pk).first()
    if export is None:
        raise PermissionDenied("This export is not yours.")
    if export.status == Status.EXPIRED:
        raise ValidationError("This export has expired; start a new one.")
    failed = list(export.items.filter(status=ItemStatus.FAILED).values_list("pk", flat=True))
    if failed:
        export.items.filter(pk__in=failed).update(status=ItemStatus.PENDING, error="")
        export.status = Status.RUNNING
        export.save(update_fields=["status"])
    return failed


def purge_expired(now: dt.datetime | None = None) -> int:
    """Remove the files of exports past their expiry; the record of the export stays."""
    now = now or timezone.now()
    purged = 0
    for export in BulkExport.objects.filter(status=Status.FINISHED, expires_at__lt=now):
        for path in [export.zip_path, *export.items.exclude(file_path="").values_list("file_path", flat=True)]:
            if path and default_storage.exists(path):
                default_storage.delete(path)
        export.items.update(file_path="")
        export.zip_path = ""
        export.status = Status.EXPIRED
        export.save(update_fields=["zip_path", "status"])
        purged += 1
    _remove_stale_spools(now)
    return purged


def _remove_stale_spools(now: dt.datetime) -> None:
    """A worker killed while writing a ZIP leaves its spooled file (a retry writes a new one); one
    older than the exports' lifetime is nobody's."""
    if not default_storage.exists("exports"):
        return
    cutoff = now - dt.timedelta(hours=settings.EXPORT_TTL_HOURS)
    for name in default_storage.listdir("exports")[1]:
        path = f"exports/{name}"
        if name.startswith(".") and name.endswith(SPOOL_SUFFIX) and default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)


def progress(export: BulkExport) -> dict:
    counts = {s: 0 for s in ItemStatus.values}
    for status in export.items.values_list("status", flat=True):
        counts[status] += 1
    done = counts[ItemStatus.DONE] + counts[ItemStatus.FAILED]
    total = export.total
    return {
        "total": total,
        "done": done,
        "succeeded": counts[ItemStatus.DONE],
        "failed": counts[ItemStatus.FAILED],
        # Never a full bar before anything is done: an export of nothing says so instead of "100 %".
        "percent": min(100, 100 * done // total) if total else 0,
        "nothing": total == 0,
    }
