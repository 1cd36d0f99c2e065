"""Sessions and their progress notes: what happens between a plan's reviews.

A session is recorded against the plan version in force. An attended session gets one progress
note, tied to that version: the objectives worked on, the interventions used, the formulation in
the room (conflicts active, defenses observed), relationship episodes (the CCRT's raw material)
and a risk check. A note is a draft until its author signs it; from then on it never changes
(here in save(), and in the database: notes/guards.py). Later corrections are addenda, each
signed as it is written.
"""

import zoneinfo
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts import policy
from accounts.access import CaseloadQuerySet, caseload_filter
from core.catalogue import CatalogueQuerySet
from core.errors import ImmutableRecordError

MIN_DURATION_MINUTES = 5
MAX_DURATION_MINUTES = 480


def defensive_functioning(observations: Iterable[tuple[int, int | None]]) -> float | None:
    """The mean DMRS level of the defenses observed, weighted by how often each was seen.

    `observations` are (level, count) pairs; a count left empty counts once. None when nothing
    was observed (there is no functioning to report, which is not the same as level 0).
    """
    total = weight = 0
    for level, count in observations:
        seen = 1 if count is None else count
        if seen < 0:
            raise ValueError("A defense cannot be seen a negative number of times.")
        total += level * seen
        weight += seen
    return round(total / weight, 2) if weight else None


class ServiceType(models.Model):
    """A kind of session (intake, individual, couple, family, group), or a practice's own."""

    practice = models.ForeignKey(
        "accounts.Practice", null=True, blank=True, on_delete=models.PROTECT, related_name="service_types"
    )
    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "code"], name="servicetype_code_unique_per_practice"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(practice__isnull=True), name="servicetype_builtin_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TherapySessionQuerySet(CaseloadQuerySet):
    client_path = "client"

    def attended(self):
        return self.filter(attendance=TherapySession.Attendance.ATTENDED)


class TherapySession(models.Model):
    class Modality(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        VIDEO = "video", "Video"
        TELEPHONE = "telephone", "Telephone"

    class Attendance(models.TextChoices):
        ATTENDED = "attended", "Attended"
        LATE_CANCELLATION = "late_cancellation", "Late cancellation"
        NO_SHOW = "no_show", "No-show"
        CANCELLED_BY_CLINICIAN = "cancelled_by_clinician", "Cancelled by clinician"

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="therapy_sessions")
    # The version in force when the session was recorded; empty only for a client with no plan.
    plan = models.ForeignKey(
        "plans.TreatmentPlan", null=True, blank=True, on_delete=models.PROTECT, related_name="therapy_sessions"
    )
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="therapy_sessions")
    # Entered as a date and a time in the practice's timezone (kept beside it), stored aware.
    starts_at = models.DateTimeField()
    timezone = models.CharField(max_length=64)
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(MIN_DURATION_MINUTES), MaxValueValidator(MAX_DURATION_MINUTES)]
    )
    modality = models.CharField(max_length=20, choices=Modality, default=Modality.IN_PERSON)
    attendance = models.CharField(max_length=30, choices=Attendance, default=Attendance.ATTENDED)
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500, blank=True, help_text="Why the session did not take place.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = TherapySessionQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-pk"]
        indexes = [
            models.Index(fields=["client", "starts_at"]),
            models.Index(fields=["clinician", "starts_at"]),
            # The questionnaire run's "every N attended sessions" (participation/scheduling.py): only
            # clients with an attended session recorded or changed since the last run can have reached
            # another N, so the run starts from these rather than from every active plan.
            models.Index(
                fields=["updated_at"], condition=models.Q(attendance="attended"), name="session_attended_by_change"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=MIN_DURATION_MINUTES, duration_minutes__lte=MAX_DURATION_MINUTES),
                name="session_duration_in_range",
            ),
            models.CheckConstraint(
                condition=Q(attendance="attended") | ~Q(reason=""), name="session_not_attended_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_service_type_display_name()} session on {self.local_starts_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk and ProgressNote.objects.filter(session_id=self.pk, status=ProgressNote.Status.SIGNED).exists():
            raise ImmutableRecordError(f"Session {self.pk} has a signed note; add an addendum instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Sessions are never deleted.")

    def get_service_type_display_name(self) -> str:
        return self.service_type.name if self.service_type_id else "Session"

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def local_starts_at(self):
        return self.starts_at.astimezone(self.tzinfo)

    @property
    def took_place(self) -> bool:
        return self.attendance == self.Attendance.ATTENDED

    def clean(self) -> None:
        if not self.took_place and not self.reason.strip():
            raise ValidationError({"reason": "Say why the session did not take place."})
        if self.took_place and self.reason:
            raise ValidationError({"reason": "Only a session that did not take place carries a reason."})


class ProgressNoteQuerySet(CaseloadQuerySet):
    client_path = "session__client"

    def drafts(self):
        return self.filter(status=ProgressNote.Status.DRAFT)

    def signed(self):
        return self.filter(status=ProgressNote.Status.SIGNED)


class ProgressNote(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"

    class Risk(models.TextChoices):
        NONE = "none", "None"
        LOW = "low", "Low"
        MODERATE = "moderate", "Moderate"
        HIGH = "high", "High"

    # The levels that require a safety plan and raise a flag for the clinician and supervisor.
    FLAGGED_RISKS = (Risk.MODERATE, Risk.HIGH)

    session = models.OneToOneField(TherapySession, on_delete=models.PROTECT, related_name="note")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="progress_notes")
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    risk = models.CharField(max_length=10, choices=Risk, default=Risk.NONE)
    safety_plan = models.TextField(max_length=4000, blank=True)
    what_happened = models.TextField(max_length=12000, blank=True)
    plan_for_next_time = models.TextField(max_length=4000, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = ProgressNoteQuerySet.as_manager()

    TEXT_FIELDS = ("risk", "safety_plan", "what_happened", "plan_for_next_time")

    class Meta:
        ordering = ["-session__starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(risk__in=["moderate", "high"]) | ~Q(safety_plan=""), name="note_flagged_risk_has_plan"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(signed_at__isnull=False), name="note_signed_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"Progress note ({self.get_status_display().lower()})"

    def save(self, *args, **kwargs):
        if self.pk and ProgressNote.objects.filter(pk=self.pk, status=self.Status.SIGNED).exists():
            raise ImmutableRecordError(f"Note {self.pk} is signed; add an addendum instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Progress notes are never deleted.")

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def risk_flagged(self) -> bool:
        return self.risk in self.FLAGGED_RISKS

    @property
    def defensive_functioning(self) -> float | None:
        return defensive_functioning((d.mechanism.level, d.count) for d in self.defenses.all())

    def clean(self) -> None:
        if self.risk_flagged and not self.safety_plan.strip():
            raise ValidationError({"safety_plan": "A moderate or high risk needs a safety plan entry."})


class NotePartQuerySet(CaseloadQuerySet):
    client_path = "note__session__client"


class NotePart(models.Model):
    """A row of a note's content: frozen with the note when it is signed."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if ProgressNote.objects.filter(pk=self.note_id, status=ProgressNote.Status.SIGNED).exists():
            raise ImmutableRecordError(f"Note {self.note_id} is signed; add an addendum instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if ProgressNote.objects.filter(pk=self.note_id, status=ProgressNote.Status.SIGNED).exists():
            raise ImmutableRecordError(f"Note {self.note_id} is signed; add an addendum instead.")
        super().delete(*args, **kwargs)


class NoteObjective(NotePart):
    """An objective of the plan version in force, worked on in the session."""

    class Movement(models.TextChoices):
        NOT_RATED = "", "Not rated"
        WORSE = "worse", "Worse"
        NO_CHANGE = "no_change", "No change"
        SOME_MOVEMENT = "some_movement", "Some movement"
        CLEAR_MOVEMENT = "clear_movement", "Clear movement"

    note = models.ForeignKey(ProgressNote, on_delete=models.PROTECT, related_name="objectives_worked")
    objective = models.ForeignKey("plans.Objective", on_delete=models.PROTECT, related_name="+")
    evidence = models.CharField(max_length=300, help_text="One line: what in the session bore on it.")
    movement = models.CharField(max_length=20, choices=Movement, blank=True, default=Movement.NOT_RATED)
    order = models.PositiveSmallIntegerField(default=0)

    objects = NotePartQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["note", "objective"], name="note_objective_once")]

    def __str__(self) -> str:
        return self.evidence


class NoteIntervention(NotePart):
    note = models.ForeignKey(ProgressNote, on_delete=models.PROTECT, related_name="interventions_used")
    intervention = models.ForeignKey("plans.Intervention", on_delete=models.PROTECT, related_name="+")

    objects = NotePartQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["note", "intervention"], name="note_intervention_once")]

    def __str__(self) -> str:
        return str(self.intervention)


class NoteConflict(NotePart):
    """A core conflict of the plan's formulation, active in the session, with its intensity there."""

    # The session's own reading, on the formulation's scale (formulation.CoreConflict.Intensity).
    class Intensity(models.TextChoices):
        LOW = "low", "Low"
        SIGNIFICANT = "significant", "Significant"
        VERY_SIGNIFICANT = "very_significant", "Very significant"

    note = models.ForeignKey(ProgressNote, on_delete=models.PROTECT, related_name="conflicts_active")
    conflict = models.ForeignKey("formulation.CoreConflict", on_delete=models.PROTECT, related_name="+")
    intensity = models.CharField(max_length=20, choices=Intensity, default=Intensity.SIGNIFICANT)

    objects = NotePartQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["note", "conflict"], name="note_conflict_once")]

    def __str__(self) -> str:
        return f"{self.conflict} ({self.get_intensity_display().lower()})"


class NoteDefense(NotePart):
    """A defense from the DMRS catalogue observed in the session, optionally with how often."""

    note = models.ForeignKey(ProgressNote, on_delete=models.PROTECT, related_name="defenses")
    mechanism = models.ForeignKey("formulation.DefenseMechanism", on_delete=models.PROTECT, related_name="+")
    count = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])

    objects = NotePartQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["note", "mechanism"], name="note_defense_once")]

    def __str__(self) -> str:
        return str(self.mechanism)


class RelationshipEpisode(NotePart):
    """A relationship episode the client told: the raw material of the CCRT."""

    class Other(models.TextChoices):
        PARTNER = "partner", "Partner"
        PARENT = "parent", "Parent"
        SIBLING = "sibling", "Sibling"
        CHILD = "child", "Child"
        FRIEND = "friend", "Friend"
        COLLEAGUE = "colleague", "Colleague"
        THERAPIST = "therapist", "Therapist"
        OTHER = "other", "Other"

    note = models.ForeignKey(ProgressNote, on_delete=models.PROTECT, related_name="episodes")
    other = models.CharField("the other person", max_length=20, choices=Other)
    wish = models.CharField(max_length=300)
    response_of_other = models.CharField(max_length=300)
    response_of_self = models.CharField(max_length=300)
    order = models.PositiveSmallIntegerField(default=0)

    objects = NotePartQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return f"Episode with {self.get_other_display().lower()}"

    @property
    def is_transference(self) -> bool:
        return self.other == self.Other.THERAPIST


class NoteAddendumQuerySet(CaseloadQuerySet):
    client_path = "note__session__client"


class NoteAddendum(models.Model):
    """A later correction or addition to a signed note: dated, signed as written, never changed."""

    note = models.ForeignKey(ProgressNote, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()
    text = models.TextField(max_length=8000)

    objects = NoteAddendumQuerySet.as_manager()

    class Meta:
        ordering = ["written_at", "pk"]
        verbose_name_plural = "note addenda"

    def __str__(self) -> str:
        return f"Addendum of {self.written_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise ImmutableRecordError("An addendum is signed as it is written and never changes.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Addenda are never deleted.")


class NoteSignatureQuerySet(CaseloadQuerySet):
    client_path = "note__session__client"

    def of_note(self):
        return self.filter(addendum__isnull=True)


class NoteSignature(models.Model):
    """A signature as it was given, of a note or (with `addendum`) of one of its addenda.

    As with plans' signatures, name, credentials and zone are copied so later profile edits never
    rewrite a signed record, and the exact canonical JSON signed is kept beside its SHA-256."""

    class Meaning(models.TextChoices):
        AUTHORED = "authored", "Authored"
        ADDENDUM = "addendum", "Addendum authored"

    note = models.ForeignKey(ProgressNote, on_delete=models.PROTECT, related_name="signatures")
    addendum = models.OneToOneField(
        NoteAddendum, null=True, blank=True, on_delete=models.PROTECT, related_name="signature"
    )
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    meaning = models.CharField(max_length=20, choices=Meaning)
    printed_name = models.CharField(max_length=300)
    credentials = models.CharField(max_length=100, blank=True)
    signed_at = models.DateTimeField()
    timezone = models.CharField(max_length=64)
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the canonical content.")
    # Text, not a JSON column: PostgreSQL's jsonb would reorder the keys.
    canonical_json = models.TextField(editable=False)

    objects = NoteSignatureQuerySet.as_manager()

    class Meta:
        ordering = ["signed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["note"], condition=Q(addendum__isnull=True), name="note_signed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_meaning_display()} by {self.printed_name}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise ImmutableRecordError("A signature never changes.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Signatures are never deleted.")

    @property
    def local_signed_at(self):
        return self.signed_at.astimezone(zoneinfo.ZoneInfo(self.timezone))


class ProcessNoteQuerySet(models.QuerySet):
    """The private door, stricter than the caseload's: a process note is its author's working
    material, legally apart from the record, so neither a supervisor nor an admin reads it by role.

    A reader sees their own notes, and the notes shared with them by name (ProcessNoteShare) while
    the share stands and they still supervise the author. Nobody sees another practice's notes, and
    a withdrawn note is out of everyone's view.
    """

    def _in_reach(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        practice_id = policy.practice_id_of(user)
        if practice_id is None:
            return None
        return self.filter(client__practice_id=practice_id, withdrawn_at__isnull=True), practice_id

    def visible_to(self, user):
        reach = self._in_reach(user)
        if reach is None:
            return self.none()
        notes, practice_id = reach
        shared = ProcessNoteShare.objects.standing().filter(
            shared_with_id=user.pk,
            note__author_id__in=policy.supervisee_ids(user).filter(practice_id=practice_id),
        )
        return notes.filter(Q(author_id=user.pk) | Q(pk__in=shared.values("note_id")))

    def editable_by(self, user):
        """The author only, and only while the client is on their caseload."""
        reach = self._in_reach(user)
        if reach is None:
            return self.none()
        notes, _ = reach
        return notes.filter(caseload_filter(user, "client", for_edit=True), author_id=user.pk)


class ProcessNote(models.Model):
    """Impressions, countertransference and hypotheses not yet shared: the clinician's private
    working material. Never part of the record, its PDF, FHIR, a bulk export or a listing for
    anyone else; every read is audited (notes.services.read_process_note)."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="process_notes")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="process_notes")
    session = models.ForeignKey(
        TherapySession, null=True, blank=True, on_delete=models.PROTECT, related_name="process_notes"
    )
    text = models.TextField(max_length=20000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)
    # Removal hides the note from everyone; the row stays (process notes are never deleted).
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = ProcessNoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["author", "client"])]

    def __str__(self) -> str:
        # Never the text: a name may reach a log, an error page or a select box.
        return f"Process note {self.pk}"

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Process notes are never deleted; withdraw one instead.")

    def clean(self) -> None:
        if self.session_id is not None and self.session.client_id != self.client_id:
            raise ValidationError({"session": "Choose a session of this client."})


class ProcessNoteShareQuerySet(models.QuerySet):
    def standing(self):
        return self.filter(revoked_at__isnull=True)


class ProcessNoteShare(models.Model):
    """The author's explicit, recorded decision to let one named supervisor read one note."""

    note = models.ForeignKey(ProcessNote, on_delete=models.PROTECT, related_name="shares")
    shared_with = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    shared_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ProcessNoteShareQuerySet.as_manager()

    class Meta:
        ordering = ["shared_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["note", "shared_with"], condition=Q(revoked_at__isnull=True), name="process_note_shared_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Process note {self.note_id} shared with user {self.shared_with_id}"

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Shares are never deleted; revoke one instead.")
