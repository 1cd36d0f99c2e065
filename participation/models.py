"""Client links (issue 15): what a client does through a link, without an account.

A link is bound to one purpose (a set of questionnaires, or agreement to one plan version) and to
one client. Its token is 256 random bits in the URL path and is stored only as its SHA-256: the
table alone never opens a link. It expires, works until its purpose is done, can be revoked, and
five wrong dates of birth void it.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.access import CaseloadQuerySet

# Five wrong dates of birth and the link is void: enough for typing slips, too few to guess a birthday.
MAX_BIRTH_DATE_ATTEMPTS = 5


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ClientLinkQuerySet(CaseloadQuerySet):
    client_path = "client"


class ClientLink(models.Model):
    class Purpose(models.TextChoices):
        QUESTIONNAIRES = "questionnaires", "Questionnaires"
        AGREEMENT = "agreement", "Agreement to the plan"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        REVOKED = "revoked", "Revoked"
        # Five wrong dates of birth: nobody may use it any more.
        VOIDED = "voided", "Locked after wrong dates of birth"

    class Delivery(models.TextChoices):
        EMAIL = "email", "Send by email"
        HAND = "hand", "Hand to client (on this device)"
        # To the client record's mobile number (Client.phone), when a text backend is configured (core/sms.py).
        SMS = "sms", "Send by text message"

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="links")
    purpose = models.CharField(max_length=20, choices=Purpose)
    # The questionnaires' measure codes (MeasureDefinition.code), in the order the client answers them.
    measure_codes = models.JSONField(default=list, blank=True)
    # The plan version agreed to, for an agreement link.
    plan = models.ForeignKey("plans.TreatmentPlan", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    delivery = models.CharField(max_length=10, choices=Delivery)
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN)
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)  # revoked or voided
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ClientLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["client", "status"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} link {self.pk} ({self.get_status_display()})"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_usable(self) -> bool:
        return self.status == self.Status.OPEN and not self.is_expired

    @property
    def shown_status(self) -> str:
        """The status as staff read it: an open link past its expiry reads as expired."""
        if self.status == self.Status.OPEN and self.is_expired:
            return "Expired"
        return self.get_status_display()
