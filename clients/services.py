import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import policy
from accounts.models import User
from clients.models import Client, PresentingProblem
from core.errors import StaleEditError

CLIENT_FIELDS = [
    "chart_number",
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "email",
    "phone",
    "address",
    "intake_date",
]


def _check_chart_number(practice_id: int, chart_number: str, exclude_pk: int | None = None) -> None:
    clash = Client.objects.filter(practice_id=practice_id, chart_number__iexact=chart_number)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"chart_number": "This chart number is already in use in your practice."})


@transaction.atomic
def create_client(*, actor: User, contact_consent: bool | None = None, **fields) -> Client:
    """Open a client record on the actor's own caseload."""
    if not policy.can(actor, policy.Action.CREATE_CLIENT):
        raise PermissionDenied("Only clinicians open client records.")
    client = Client(practice=policy.membership_of(actor).practice, primary_clinician=actor, **fields)
    _set_contact_consent(client, actor, contact_consent)
    # The chart number's uniqueness is checked next, with a message that names the field.
    client.full_clean(validate_constraints=False)
    _check_chart_number(client.practice_id, client.chart_number)
    client.save()
    return client


def _set_contact_consent(current: Client, actor: User, consent: bool | None) -> None:
    """Consent given is stamped with today's date where the practice is and who recorded it; a
    consent already on record keeps its date; withdrawn, both are cleared and nothing is sent."""
    if consent is None:
        return
    if consent and not current.has_contact_consent:
        current.contact_consent_on = current.practice.today()
        current.contact_consent_recorded_by = actor
    elif not consent:
        current.contact_consent_on = None
        current.contact_consent_recorded_by = None


@transaction.atomic
def update_client(
    *, actor: User, client: Client, expected_version: int, contact_consent: bool | None = None, **fields
) -> Client:
    current = Client.objects.editable_by(actor).select_for_update().filter(pk=client.pk).first()
    if current is None:
        raise PermissionDenied("You can read this client record but not change it.")
    if current.version != expected_version:
        raise StaleEditError(current)
    _set_contact_consent(current, actor, contact_consent)
    for name, value in fields.items():
        if name not in CLIENT_FIELDS:
            raise ValueError(f"{name} is not an editable client field")
        setattr(current, name, value)
    current.full_clean(validate_constraints=False)
    _check_chart_number(current.practice_id, current.chart_number, exclude_pk=current.pk)
    current.version += 1
    current.save()
    return current


@transaction.atomic
def discharge_client(*, actor: User, client: Client, discharged_on: dt.date, reason: str) -> Client:
    """Archive a client. Nothing is deleted.

    Their active plans are closed by the plan side, which calls this:
    `plans.discharge.discharge_client_and_close_plans` is the act the pages and the API perform.
    """
    current = Client.objects.editable_by(actor).select_for_update().filter(pk=client.pk).first()
    if current is None:
        raise PermissionDenied("Only the client's clinician can discharge them.")
    if current.status == Client.Status.DISCHARGED:
        raise ValidationError("This client is already discharged.")
    if not reason.strip():
        raise ValidationError({"discharge_reason": "Give the reason for discharge."})
    if discharged_on < current.intake_date:
        raise ValidationError({"discharged_on": "Discharge cannot be before intake."})
    current.status = Client.Status.DISCHARGED
    current.discharged_on = discharged_on
    current.discharge_reason = reason
    current.version += 1
    current.save()
    return current


@transaction.atomic
def add_presenting_problem(*, actor: User, client: Client, **fields) -> PresentingProblem:
    if not Client.objects.editable_by(actor).filter(pk=client.pk).exists():
        raise PermissionDenied("Only the client's clinician can add presenting problems.")
    problem = PresentingProblem(client=client, **fields)
    problem.full_clean()
    problem.save()
    return problem


PROBLEM_FIELDS = [
    "title",
    "clients_words",
    "observed_symptoms",
    "onset",
    "duration",
    "severity",
    "functional_impact",
    "diagnosis_code",
    "diagnosis_label",
]


@transaction.atomic
def update_presenting_problem(
    *, actor: User, problem: PresentingProblem, expected_version: int, **fields
) -> PresentingProblem:
    current = PresentingProblem.objects.editable_by(actor).select_for_update().filter(pk=problem.pk).first()
    if current is None:
        raise PermissionDenied("Only the client's clinician can change presenting problems.")
    if current.archived_at is not None:
        raise ValidationError("This presenting problem is archived.")
    if current.version != expected_version:
        raise StaleEditError(current)
    for name, value in fields.items():
        if name not in PROBLEM_FIELDS:
            raise ValueError(f"{name} is not an editable presenting-problem field")
        setattr(current, name, value)
    current.full_clean()
    current.version += 1
    current.save()
    return current


@transaction.atomic
def archive_presenting_problem(*, actor: User, problem: PresentingProblem) -> PresentingProblem:
    """Take a problem off the client's current list. The row stays; plans that address it keep it."""
    current = PresentingProblem.objects.editable_by(actor).select_for_update().filter(pk=problem.pk).first()
    if current is None:
        raise PermissionDenied("Only the client's clinician can archive presenting problems.")
    if current.archived_at is None:
        current.archived_at = timezone.now()
        current.version += 1
        current.save(update_fields=["archived_at", "version", "updated_at"])
    return current
