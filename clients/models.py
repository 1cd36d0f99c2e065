import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.access import CaseloadQuerySet
from core.dates import ClinicalDateField

# ICD-10-CM: a letter (not U), two characters, then up to four after a dot, e.g. F33.1, F43.10.
validate_icd10cm = RegexValidator(
    r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$",
    "Enter an ICD-10-CM code such as F33.1 or F41.1: a letter, two characters, "
    "and optionally a dot with up to four more.",
)


# The longest searched field (the names) is 150 characters.
SEARCH_TERM_MAX_LENGTH = 150


class ClientQuerySet(CaseloadQuerySet):
    client_path = ""

    def active(self):
        return self.filter(status=Client.Status.ACTIVE)

    def search(self, term: str):
        term = term.strip()
        if not term:
            return self
        if len(term) > SEARCH_TERM_MAX_LENGTH:
            # Longer than any searched field, so it matches nothing; and SQLite refuses LIKE
            # patterns over 50 000 bytes with an error that would read as a database outage.
            return self.none()
        return self.filter(
            Q(given_name__icontains=term)
            | Q(family_name__icontains=term)
            | Q(preferred_name__icontains=term)
            | Q(chart_number__iexact=term)
        )


class Client(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DISCHARGED = "discharged", "Discharged"

    practice = models.ForeignKey("accounts.Practice", on_delete=models.PROTECT, related_name="clients")
    chart_number = models.CharField(max_length=32, help_text="Unique within the practice.")
    given_name = models.CharField(max_length=150)
    family_name = models.CharField(max_length=150)
    preferred_name = models.CharField(max_length=150, blank=True)
    date_of_birth = ClinicalDateField()
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(max_length=500, blank=True)
    # Consent to electronic contact (issue 15): without it no client link is sent by email or text.
    # Who recorded it and when, so that the consent can be shown and questioned later.
    contact_consent_on = ClinicalDateField("consent to electronic contact given on", null=True, blank=True)
    contact_consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    primary_clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="caseload")
    intake_date = ClinicalDateField()
    status = models.CharField(max_length=12, choices=Status, default=Status.ACTIVE)
    discharged_on = ClinicalDateField(null=True, blank=True)
    discharge_reason = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped on every save so that two people editing at once cannot silently overwrite each other.
    version = models.PositiveIntegerField(default=1)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "chart_number"], name="client_chart_number_unique_in_practice"),
            models.CheckConstraint(
                condition=Q(status="active", discharged_on__isnull=True)
                | Q(status="discharged", discharged_on__isnull=False),
                name="client_discharge_date_matches_status",
            ),
        ]
        indexes = [models.Index(fields=["practice", "primary_clinician", "status"])]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.chart_number})"

    @property
    def display_name(self) -> str:
        given = self.preferred_name or self.given_name
        return f"{given} {self.family_name}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def has_contact_consent(self) -> bool:
        return self.contact_consent_on is not None

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def clean(self) -> None:
        errors = {}
        # "Today" where the practice is, so a late-evening entry is not judged by the server's date.
        today = self.practice.today() if self.practice_id else timezone.localdate()
        if self.date_of_birth and not (dt.date(1900, 1, 1) <= self.date_of_birth <= today):
            errors["date_of_birth"] = "Enter a date of birth between 1900 and today."
        if self.intake_date and self.date_of_birth and self.intake_date < self.date_of_birth:
            errors["intake_date"] = "The intake date cannot be before the date of birth."
        if self.intake_date and self.intake_date > today + dt.timedelta(days=365):
            errors["intake_date"] = "The intake date is more than a year ahead."
        if errors:
            raise ValidationError(errors)


class PresentingProblemQuerySet(CaseloadQuerySet):
    client_path = "client"

    def current(self):
        return self.filter(archived_at__isnull=True)


class PresentingProblem(models.Model):
    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="presenting_problems")
    title = models.CharField(max_length=200, help_text="A short name, e.g. “Low mood after job loss”.")
    clients_words = models.TextField(
        "in the client's own words", max_length=4000, help_text="Why they came, as they put it."
    )
    observed_symptoms = models.TextField(max_length=4000, blank=True)
    onset = models.CharField(max_length=200, blank=True, help_text="When it began, e.g. “spring 2025”.")
    duration = models.CharField(max_length=200, blank=True, help_text="e.g. “eight months, worsening”.")
    severity = models.CharField(max_length=10, choices=Severity, default=Severity.MODERATE)
    functional_impact = models.TextField(
        "impact on functioning", max_length=4000, blank=True, help_text="Work, relationships, sleep, self-care."
    )
    diagnosis_code = models.CharField(
        "diagnosis code (ICD-10-CM)", max_length=10, blank=True, validators=[validate_icd10cm]
    )
    diagnosis_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = PresentingProblemQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.diagnosis_code:
            self.diagnosis_code = self.diagnosis_code.strip().upper()
        if self.diagnosis_label and not self.diagnosis_code:
            raise ValidationError({"diagnosis_code": "Give the code for this diagnosis label."})
