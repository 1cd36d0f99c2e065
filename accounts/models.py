import zoneinfo
from functools import cached_property

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from core.dates import ClinicalDateField


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


DEFAULT_CRISIS_TEXT = (
    "If you are in danger now, or thinking about ending your life, call 911 or your local emergency "
    "number, or go to the nearest emergency department. If you can, tell someone you trust how you feel. "
    "Your clinician will see your answers, but perhaps not straight away."
)


def default_client_measures() -> list[str]:
    # participation.services.CLIENT_MEASURES says which codes a client can answer; accounts sits below
    # participation, so the settings form there checks the codes and this is only the starting set.
    # The client's own alliance rating comes too: the review form compares it with the clinician's.
    return ["phq9", "gad7", "alliance"]


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
    # Client links (issue 15): how long a link sent to a client works, and what a client sees after
    # answering that they may be at risk. The default is generic; a practice puts its own numbers in.
    client_link_days = models.PositiveSmallIntegerField(
        "client links work for (days)", default=7, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    crisis_text = models.TextField(
        "crisis text shown to clients",
        max_length=2000,
        default=DEFAULT_CRISIS_TEXT,
        help_text="Shown to a client right after a questionnaire whose answers suggest they may be at risk.",
    )
    # Scheduled questionnaires (issue 15, participation/scheduling.py): before each progress review the
    # client is sent the measures the plan's objectives are bound to plus this default set; optionally
    # also after every N attended sessions. On by default: a client without consent to electronic
    # contact or an email address is never sent anything, so the switch only matters for those who agreed.
    client_default_measures = models.JSONField(
        "questionnaires sent with every scheduled link", default=default_client_measures, blank=True
    )
    scheduled_questionnaires = models.BooleanField(
        "send questionnaires before each progress review",
        default=True,
        help_text="Sent by email to clients who consented to electronic contact, a few days before each review.",
    )
    questionnaires_every_sessions = models.PositiveSmallIntegerField(
        "also every N attended sessions",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
        help_text="Leave empty to send them only before reviews.",
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


class StaffDeactivation(models.Model):
    """One spell of a staff member's account being switched off: who did it, when, and, once it is
    over, who switched it back on. The supervision links the deactivation ended point at it, so
    reactivation offers exactly those back, not whatever happened to end on the same day."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="staff_deactivations")
    person = models.ForeignKey(User, on_delete=models.PROTECT, related_name="deactivations")
    deactivated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    deactivated_at = models.DateTimeField(default=timezone.now)
    reactivated_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-deactivated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(reactivated_at__isnull=True), name="deactivation_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} deactivated {self.deactivated_at:%Y-%m-%d}"


class SupervisionQuerySet(models.QuerySet):
    def current(self) -> "SupervisionQuerySet":
        return self.filter(ended_on__isnull=True)


class Supervision(models.Model):
    """A supervisor oversees a clinician's caseload from started_on until ended_on. A link is never
    deleted: it ends, and the history says why (ended_by_deactivation) and what took over (replaces)."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="supervisions")
    supervisor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="supervisions_given")
    supervisee = models.ForeignKey(User, on_delete=models.PROTECT, related_name="supervisions_received")
    started_on = ClinicalDateField(default=timezone.localdate)
    ended_on = ClinicalDateField(null=True, blank=True)
    # Set when the supervisor's deactivation ended this link; reactivation offers it back.
    ended_by_deactivation = models.ForeignKey(
        StaffDeactivation, on_delete=models.PROTECT, null=True, blank=True, related_name="ended_supervisions"
    )
    # The ended link this one takes over: a reassignment (another supervisor) or a restoration (the same one).
    replaces = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by")

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
