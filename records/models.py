"""Bulk exports of PDF records and their items. The models moved here from plans and kept their tables
(db_table)."""

from django.conf import settings
from django.db import models

from accounts import policy
from accounts.access import CaseloadQuerySet
from core.dates import ClinicalDateField


class BulkExportQuerySet(models.QuerySet):
    def of_requester(self, user):
        """An export's files are only ever for the admin who asked for them."""
        if not policy.can(user, policy.Action.EXPORT):
            return self.none()
        return self.filter(requested_by=user, practice_id=policy.practice_id_of(user))


class BulkExport(models.Model):
    """A practice admin's ZIP of PDF records, built by Celery tasks, kept in private storage until it expires."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        EXPIRED = "expired", "Expired"

    practice = models.ForeignKey("accounts.Practice", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    client_status = models.CharField(max_length=12, blank=True, help_text="Empty for all clients.")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    date_from = ClinicalDateField(null=True, blank=True)
    date_to = ClinicalDateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    zip_path = models.CharField(max_length=300, blank=True)
    zip_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = BulkExportQuerySet.as_manager()

    class Meta:
        # Moved from plans with its table (records/migrations/0001_initial.py).
        db_table = "plans_bulkexport"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Export {self.pk} of {self.practice}"


class BulkExportItemQuerySet(CaseloadQuerySet):
    # An item names a client's plan (and its file, named by chart number). Exports are read
    # through BulkExport.objects.of_requester; this door is the second fence for any other read.
    client_path = "plan__client"


class BulkExportItem(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    export = models.ForeignKey(BulkExport, on_delete=models.CASCADE, related_name="items")
    plan = models.ForeignKey("plans.TreatmentPlan", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    file_name = models.CharField(max_length=200, blank=True)
    file_path = models.CharField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    pages = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    objects = BulkExportItemQuerySet.as_manager()

    class Meta:
        db_table = "plans_bulkexportitem"
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["export", "plan"], name="export_item_once_per_plan")]

    def __str__(self) -> str:
        return f"{self.export} item {self.plan_id}"
