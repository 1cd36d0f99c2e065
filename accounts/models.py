import datetime as dt
import hashlib
import hmac
import json
import zoneinfo
from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from config.dates import ClinicalDateField


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError("“%(value)s” is not a known time zone, e.g. Europe/Berlin.", params={"value": value})


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email: str):
        # Email addresses are matched without regard to case, as people type them.
        return self.get(email__iexact=email)

    def create_user(self, email: str, password: str | None = None, **fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Their place in a practice is their Membership."""

    email = models.EmailField("email address", max_length=254, unique=True)
    given_name = models.CharField(max_length=150)
    family_name = models.CharField(max_length=150)
    credentials = models.CharField(
        max_length=100,
        blank=True,
        help_text="Degrees and licences printed with your signature, e.g. “PsyD, LMFT”.",
    )
    is_active = models.BooleanField(default=True)
    # Django admin access, for superusers only; practice staff never need it.
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["given_name", "family_name"]

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_unique_ci")]
        ordering = ["family_name", "given_name"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    def get_short_name(self) -> str:
        return self.given_name

    @property
    def printed_name(self) -> str:
        """Name and credentials as they appear under a signature."""
        name = self.get_full_name()
        return f"{name}, {self.credentials}" if self.credentials else name

    @cached_property
    def active_membership(self) -> "Membership | None":
        return Membership.objects.select_related("practice").filter(user=self).first()


class Practice(models.Model):
    class PaperSize(models.TextChoices):
        A4 = "A4", "A4"
        LETTER = "letter", "US Letter"

    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField("state or region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    paper_size = models.CharField(max_length=10, choices=PaperSize, default=PaperSize.A4)
    require_two_factor = models.BooleanField(
        "require two-factor sign-in for all staff",
        default=False,
        help_text="Everyone must confirm sign-in with an authenticator app or a backup code.",
    )
    require_two_factor_for_admins = models.BooleanField(
        "require two-factor sign-in for practice admins",
        default=True,
        help_text="On by default: admins can see every record of the practice.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def today(self):
        """Today's date where the practice is, not on the server."""
        return timezone.localdate(timezone=self.tzinfo)


class MembershipQuerySet(models.QuerySet):
    # Which staff records a user may manage is the role policy's answer: policy.manageable_memberships
    # (the policy imports this module, so a queryset method here asking it would be a cycle).

    def clinicians(self) -> "MembershipQuerySet":
        return self.filter(is_clinician=True, user__is_active=True)


class Membership(models.Model):
    """A user's place in one practice, with one or more roles.

    One practice per account keeps every screen unambiguous about whose
    records it shows; someone working for two practices has two accounts.
    """

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="membership")
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="memberships")
    is_clinician = models.BooleanField("clinician", default=False)
    is_supervisor = models.BooleanField("supervisor", default=False)
    is_practice_admin = models.BooleanField("practice admin", default=False)
    requires_cosignature = models.BooleanField(
        default=False,
        help_text="Trainees' plans become active only when a supervisor co-signs them.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(requires_cosignature=True, is_clinician=False),
                name="membership_cosignature_only_for_clinicians",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.practice}"

    @property
    def role_names(self) -> list[str]:
        names = []
        if self.is_clinician:
            names.append("Trainee clinician" if self.requires_cosignature else "Clinician")
        if self.is_supervisor:
            names.append("Supervisor")
        if self.is_practice_admin:
            names.append("Practice admin")
        return names


class SupervisionQuerySet(models.QuerySet):
    def current(self) -> "SupervisionQuerySet":
        return self.filter(ended_on__isnull=True)


class Supervision(models.Model):
    """A supervisor oversees a clinician's caseload from started_on until ended_on."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="supervisions")
    supervisor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="supervisions_given")
    supervisee = models.ForeignKey(User, on_delete=models.PROTECT, related_name="supervisions_received")
    started_on = ClinicalDateField(default=timezone.localdate)
    ended_on = ClinicalDateField(null=True, blank=True)

    objects = SupervisionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["supervisor", "supervisee"],
                condition=models.Q(ended_on__isnull=True),
                name="supervision_one_current_per_pair",
            ),
            models.CheckConstraint(
                condition=~models.Q(supervisor=models.F("supervisee")),
                name="supervision_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supervisor} supervises {self.supervisee}"


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app notice (the bell). Email copies carry no clinical detail, only a link."""

    recipient = models.ForeignKey(User, on_delete=models.PROTECT, related_name="notifications")
    # Makes sending idempotent: the same event never notifies the same person twice.
    key = models.CharField(max_length=200, unique=True)
    verb = models.CharField(max_length=40)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.text


class AccessLogQuerySet(models.QuerySet):
    def for_practice(self, practice_id: int) -> "AccessLogQuerySet":
        """Entries a practice's admin may read: their staff's actions, and anyone's attempts on their records."""
        return self.filter(models.Q(practice_id=practice_id) | models.Q(subject_practice_id=practice_id))


class AccessLog(models.Model):
    """One line of the append-only access log. Written only through `accounts.audit.record`.

    Each row's `hash` is the HMAC-SHA256, under `AUDIT_HMAC_KEY`, of its own fields and the
    previous row's hash, so changing, removing or reordering a row breaks the chain, and
    without the key (which is not in the database) nobody can compute a chain that verifies
    (`manage.py verify_audit_log`; checkpoints outside the database catch a removed tail).
    No row ever holds PHI: records are named by type and id, never by name or content.
    """

    class Outcome(models.TextChoices):
        OK = "ok", "Succeeded"
        DENIED = "denied", "Denied"
        FAILED = "failed", "Failed"

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Who it was at the time (or the address typed into a failed sign-in).
    actor_email = models.CharField(max_length=254, blank=True)
    # The actor's practice, and the practice of the record acted on: an admin sees both.
    practice = models.ForeignKey(Practice, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    subject_practice = models.ForeignKey(Practice, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=40, db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome, default=Outcome.OK)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # The client the record belongs to, for "everything about this client"; an id, not a link,
    # so the log outlives anything it mentions.
    client_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    # The route or a short non-clinical note ("lockout after 5 failures", "roles: clinician -> supervisor").
    detail = models.CharField(max_length=300, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["practice", "at"]), models.Index(fields=["subject_practice", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_email} {self.action} {self.object_type} {self.object_id}"

    def chain_payload(self) -> bytes:
        """The bytes hashed for this row: canonical JSON of every field except the hash itself."""
        fields = {
            "at": self.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_email": self.actor_email,
            "practice_id": self.practice_id,
            "subject_practice_id": self.subject_practice_id,
            "action": self.action,
            "outcome": self.outcome,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "client_id": self.client_id,
            "ip": self.ip,
            "user_agent": self.user_agent,
            "detail": self.detail,
            "prev_hash": self.prev_hash,
        }
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def compute_hash(self) -> str:
        """The row's MAC: HMAC-SHA256 of `chain_payload()` under `AUDIT_HMAC_KEY`."""
        return hmac.new(settings.AUDIT_HMAC_KEY.encode(), self.chain_payload(), hashlib.sha256).hexdigest()


class ChangeRecord(models.Model):
    """Before and after values of one row of a clinical table, written by database triggers.

    The triggers (installed by migration 0004 and refreshed after every migrate, see
    `accounts.history`) fire for ORM saves, bulk updates and raw SQL alike. `actor` is
    whoever the application says is acting on that connection; NULL means a path
    outside the application (a shell, psql) or a background task. For an UPDATE,
    PostgreSQL keeps only the columns that changed; SQLite keeps whole rows.
    """

    at = models.DateTimeField(db_index=True)
    table = models.CharField(max_length=63)
    row_id = models.CharField(max_length=64)
    operation = models.CharField(max_length=6)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["table", "row_id"])]

    def __str__(self) -> str:
        return f"{self.operation} {self.table}#{self.row_id}"

    def changed_fields(self) -> dict[str, tuple]:
        """{column: (before, after)} for the columns this change touched."""
        before, after = self.before or {}, self.after or {}
        return {
            k: (before.get(k), after.get(k)) for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)
        }


class OutboxMessage(models.Model):
    """A background task, recorded in the same transaction as the change it belongs to.

    Published to the broker after commit; if the broker is down, it waits here and the relay
    publishes it once the broker is back, so no work is lost to a Redis outage.
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["created_at"], condition=models.Q(sent_at__isnull=True), name="outbox_unsent")]

    def __str__(self) -> str:
        return f"{self.task} ({'sent' if self.sent_at else 'pending'})"


class TokenSignIn(models.Model):
    """How an API token was obtained: with a second factor or with the password alone.

    knox's AuthToken has no field for it and is not ours to migrate, so this row sits beside the
    token, keyed by it and deleted with it. A token without a row (made before this existed, or by
    `AuthToken.objects.create` in a shell) counts as made without a second factor.
    """

    token = models.OneToOneField("knox.AuthToken", primary_key=True, on_delete=models.CASCADE, related_name="sign_in")
    two_factor = models.BooleanField(default=False)
    # The owner's session auth hash when the token was issued (an HMAC of the password hash, as
    # Django keeps in each session): a password changed anywhere (the admin, a shell) ends the
    # token as it ends sessions, even where accounts.services.end_all_sessions is not called.
    auth_hash = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"token {self.token_id[:8]} ({'two-factor' if self.two_factor else 'password only'})"


class PasswordResetRequest(models.Model):
    """An address someone asked a reset link for, held only until the task has dealt with it.

    The request stores the address as typed and queues `send_password_reset` with this row's id,
    so the address of a stranger never travels in task arguments (which brokers and worker logs
    keep) or stays in the outbox; the task deletes the row when it is done.
    """

    email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"password reset request {self.pk}"


# A repeated request finds the first answer for this long (the IETF idempotency-key draft's 24 hours).
IDEMPOTENCY_TTL = dt.timedelta(hours=24)


class IdempotencyRecordQuerySet(models.QuerySet):
    def live(self):
        """Records that still answer for their key."""
        return self.filter(created_at__gte=timezone.now() - IDEMPOTENCY_TTL)

    def expired(self):
        return self.filter(created_at__lt=timezone.now() - IDEMPOTENCY_TTL)


class IdempotencyRecord(models.Model):
    """A write done once: a used `Idempotency-Key` (API) or one-time form id (HTML), with its answer.

    Created in the transaction of the write itself (accounts/idempotency.py), so a committed write
    always has its stored answer. Only a hash of the key is kept. `status_code` is empty only
    inside that transaction, while the write is running.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=255, help_text="Method and path, e.g. 'POST /api/v1/goals/'.")
    key_hash = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request body as parsed.")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.BinaryField(default=b"", blank=True)
    # HTML forms: the flash messages the first answer queued, shown again with its replay.
    messages = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = IdempotencyRecordQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key_hash"], name="idempotency_key_once_per_user_route")
        ]

    def __str__(self) -> str:
        return f"{self.scope} ({self.status_code or 'running'})"
