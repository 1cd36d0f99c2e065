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
from core.dates import ClinicalDateField

# Five wrong dates of birth and the link is void: enough for typing slips, too few to guess a birthday.
MAX_BIRTH_DATE_ATTEMPTS = 5


# Long enough for a paragraph on a phone; the clinician reads it on the plan page.
DECLINE_COMMENT_MAX_LENGTH = 2000


# How staff read a link's questionnaire codes; "alliance" is the client-rated alliance, not a library measure.
QUESTIONNAIRE_NAMES = {"phq9": "PHQ-9", "gad7": "GAD-7", "alliance": "alliance"}


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
    # An agreement link's answer: the client's signature on the version when they agreed (the
    # reference lives here because plans sits below participation), or the time and the optional
    # comment when they declined. Either one makes the link done.
    signature = models.OneToOneField(
        "plans.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_comment = models.TextField(blank=True, max_length=DECLINE_COMMENT_MAX_LENGTH)

    objects = ClientLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["client", "status"]),
            # The questionnaire run's reminders and "one at a time": links still open and unexpired.
            # An unanswered link stays open after it expires, so the index holds only open ones and
            # the run reads the live end of it; answered, revoked and voided links are not in it.
            models.Index(fields=["expires_at"], condition=models.Q(status="open"), name="client_link_open_by_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} link {self.pk} ({self.get_status_display()})"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_usable(self) -> bool:
        return self.status == self.Status.OPEN and not self.is_expired

    @property
    def questionnaire_names(self) -> list[str]:
        """The questionnaires as staff name them ("PHQ-9", not the code "phq9")."""
        return [QUESTIONNAIRE_NAMES.get(code, code) for code in self.measure_codes or []]

    @property
    def shown_status(self) -> str:
        """The status as staff read it: an open link past its expiry reads as expired."""
        if self.status == self.Status.OPEN and self.is_expired:
            return "Expired"
        if self.status == self.Status.DONE and self.purpose == self.Purpose.AGREEMENT:
            return "Declined" if self.declined_at else "Agreed"
        return self.get_status_display()


class ScheduledQuestionnaireQuerySet(CaseloadQuerySet):
    client_path = "plan__client"


class ScheduledQuestionnaire(models.Model):
    """One occasion on which the scheduler sent a plan's client their questionnaires (issue 15).

    The occasion key (the review's id, or the attended-session count) is unique per plan: a second
    run, or two runs at once, finds the row and sends nothing twice.
    """

    class Occasion(models.TextChoices):
        REVIEW = "review", "Before a progress review"
        SESSIONS = "sessions", "After attended sessions"

    plan = models.ForeignKey("plans.TreatmentPlan", on_delete=models.PROTECT, related_name="+")
    review = models.ForeignKey(
        "progress.ProgressReview", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occasion = models.CharField(max_length=10, choices=Occasion)
    # "review:<review id>" or "sessions:<attended sessions counted>".
    occasion_key = models.CharField(max_length=40)
    link = models.OneToOneField(ClientLink, on_delete=models.PROTECT, related_name="schedule")
    created_at = models.DateTimeField(auto_now_add=True)
    # The scheduler queues one reminder (stamped here in the same transaction); the sending task
    # stamps the second when the email has gone, so a redelivered task sends nothing twice.
    reminder_queued_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    objects = ScheduledQuestionnaireQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "occasion_key"], name="scheduled_questionnaire_once_per_occasion")
        ]

    def __str__(self) -> str:
        return f"Questionnaires for plan {self.plan_id} ({self.occasion_key})"


class QuestionnaireSchedulerRun(models.Model):
    """One practice's daily questionnaire run, with what it did and whom it had to skip, for the admin."""

    practice = models.ForeignKey("accounts.Practice", on_delete=models.PROTECT, related_name="+")
    run_date = ClinicalDateField()
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    sent = models.PositiveIntegerField(default=0)
    reminded = models.PositiveIntegerField(default=0)
    # Due a questionnaire but without consent to electronic contact or an email address.
    skipped_no_contact = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-run_date"]
        constraints = [models.UniqueConstraint(fields=["practice", "run_date"], name="questionnaire_run_once_per_day")]

    def __str__(self) -> str:
        return f"Questionnaire scheduler for {self.practice} on {self.run_date}"


class ClientRiskAlertQuerySet(CaseloadQuerySet):
    client_path = "client"

    def open(self):
        return self.filter(acknowledged_at__isnull=True)

    def for_dashboard(self, user):
        """The open alerts on `user`'s home page: those they were told of, and any about a client
        now on their caseload, as far as they can still see them."""
        return (
            self.visible_to(user)
            .open()
            .filter(models.Q(recipients__user=user) | models.Q(client__primary_clinician=user))
            .distinct()
        )


class ClientRiskAlert(models.Model):
    """A client's answers call for the clinician's attention today (PHQ-9 item 9 above 0, or a
    severe total). Raised with the answers, it stays on the dashboards of the people told until one
    of them acknowledges it with a note; it is never deleted."""

    class Reason(models.TextChoices):
        ITEM_NINE = "item_nine", "PHQ-9 item 9 (thoughts of self-harm) above 0"
        SEVERE_TOTAL = "severe_total", "PHQ-9 total in the severe band"

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="risk_alerts")
    link = models.ForeignKey(ClientLink, on_delete=models.PROTECT, related_name="risk_alerts")
    score = models.ForeignKey("progress.MeasureScore", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason)
    raised_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledgement = models.TextField("what was done", max_length=4000, blank=True)

    objects = ClientRiskAlertQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-pk"]
        indexes = [models.Index(fields=["client", "acknowledged_at"])]
        constraints = [
            # Acknowledged only with a note: who, when and what was done go together.
            models.CheckConstraint(
                condition=models.Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | (
                    models.Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False)
                    & ~models.Q(acknowledgement="")
                ),
                name="risk_alert_acknowledged_with_note",
            ),
        ]

    def __str__(self) -> str:
        return f"Client alert {self.pk} ({'acknowledged' if self.acknowledged_at else 'open'})"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None


class RiskAlertRecipientQuerySet(CaseloadQuerySet):
    client_path = "alert__client"


class RiskAlertRecipient(models.Model):
    """Who was told of an alert, and when the notice and email went (once each: the task is idempotent)."""

    alert = models.ForeignKey(ClientRiskAlert, on_delete=models.PROTECT, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    notified_at = models.DateTimeField(null=True, blank=True)

    objects = RiskAlertRecipientQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["alert", "user"], name="risk_alert_one_row_per_recipient")]

    def __str__(self) -> str:
        return f"Recipient {self.user_id} of client alert {self.alert_id}"
