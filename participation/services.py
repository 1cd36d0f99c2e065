"""The acts on client links: made, sent, revoked by staff; opened, verified and answered by the client.

Each act is one transaction and is in the access log with the link's client. The raw token leaves
this module once: `create_link` returns it for the "hand to client" page (or the API's create
response) and keeps only its hash. An emailed or texted link gets a fresh token minted by the sending task
(participation/tasks.py), so that no raw token is ever stored, not even in the outbox.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit import log
from clients.models import Client
from core import sms
from core.notify import notify
from core.outbox import enqueue
from participation.models import MAX_BIRTH_DATE_ATTEMPTS, ClientLink, hash_token
from plans.models import MeasureDefinition, TreatmentPlan
from progress import services as progress_services
from progress.models import MeasureScore

# The questionnaires a client can answer through a link: those with items a client can read.
CLIENT_MEASURES = ("phq9", "gad7")


def new_token() -> str:
    # 32 random bytes: 256 bits, URL-safe, never stored.
    return secrets.token_urlsafe(32)


def link_path(token: str) -> str:
    return reverse("client_links:start", args=[token])


def find_link(token: str) -> ClientLink | None:
    """The link a token opens, or None. Looked up by the token's hash, so the database compares
    hashes, not secrets (a timing difference would tell a guesser about a hash, never the token);
    the final comparison is constant-time."""
    if not token or len(token) > 100:
        return None
    digest = hash_token(token)
    link = ClientLink.objects.select_related("client__practice").filter(token_hash=digest).first()
    if link is None or not hmac.compare_digest(link.token_hash, digest):
        return None
    return link


def _subject(link: ClientLink) -> log.Subject:
    return log.Subject(
        object_type="client_link",
        object_id=str(link.pk),
        client_id=link.client_id,
        practice_id=link.client.practice_id,
    )


def _editable_client(actor: User, client: Client) -> Client:
    current = Client.objects.editable_by(actor).select_related("practice").filter(pk=client.pk).first()
    if current is None:
        raise PermissionDenied("Only the client's clinician makes links for the client.")
    return current


@transaction.atomic
def create_link(
    *,
    actor: User,
    client: Client,
    purpose: str,
    delivery: str,
    measure_codes: list[str] | tuple[str, ...] = (),
    plan: TreatmentPlan | None = None,
) -> tuple[ClientLink, str]:
    """Make a link for the client; returns it and its URL path, which is never available again."""
    client = _editable_client(actor, client)
    if not client.is_active:
        raise ValidationError("A discharged client's record takes no new links.")
    codes: list[str] = []
    if purpose == ClientLink.Purpose.QUESTIONNAIRES:
        codes = list(dict.fromkeys(measure_codes))
        if not codes:
            raise ValidationError({"measure_codes": "Choose at least one questionnaire."})
        if any(code not in CLIENT_MEASURES for code in codes):
            raise ValidationError({"measure_codes": "Choose from the PHQ-9 and the GAD-7."})
        available = set(
            MeasureDefinition.objects.available_to(client.practice_id)
            .filter(code__in=codes)
            .values_list("code", flat=True)
        )
        if available != set(codes):
            raise ValidationError({"measure_codes": "One of these questionnaires is not in your practice's library."})
        plan = None
    elif purpose == ClientLink.Purpose.AGREEMENT:
        if plan is None or plan.client_id != client.pk:
            raise ValidationError({"plan": "Choose one of this client's plan versions."})
    else:
        raise ValidationError({"purpose": "Choose what the link is for."})
    if delivery not in ClientLink.Delivery.values:
        raise ValidationError({"delivery": "Choose how the client gets the link."})
    if delivery == ClientLink.Delivery.SMS:
        _check_can_text(client)
    token = new_token()
    link = ClientLink.objects.create(
        client=client,
        purpose=purpose,
        measure_codes=codes,
        plan=plan,
        delivery=delivery,
        token_hash=hash_token(token),
        expires_at=timezone.now() + dt.timedelta(days=client.practice.client_link_days),
        created_by=actor,
    )
    log.record(action=log.Action.CLIENT_LINK_CREATE, actor=actor, subject=_subject(link), detail=purpose)
    if delivery == ClientLink.Delivery.EMAIL:
        # In the same transaction: without consent or an address, no link is made either.
        send_link(actor=actor, link=link)
    elif delivery == ClientLink.Delivery.SMS:
        send_link_sms(actor=actor, link=link)
    return link, link_path(token)


@transaction.atomic
def send_link(*, actor: User, link: ClientLink) -> ClientLink:
    """Email the link through the outbox, after commit. Only with the client's consent."""
    link = ClientLink.objects.editable_by(actor).select_for_update().filter(pk=link.pk).first()
    if link is None:
        raise PermissionDenied("Only the client's clinician sends the client's links.")
    client = Client.objects.get(pk=link.client_id)
    # On the delivery, as for texts: the form and the API point at the choice that cannot be made.
    if not client.has_contact_consent:
        raise ValidationError({"delivery": "The client has not consented to electronic contact: nothing is sent."})
    if not client.email:
        raise ValidationError({"delivery": "The client record has no email address."})
    if not link.is_usable:
        raise ValidationError("This link no longer works; make a new one.")
    enqueue("participation.tasks.send_client_link", link.pk)
    log.record(action=log.Action.CLIENT_LINK_SEND, actor=actor, subject=_subject(link), detail="email")
    return link


def _check_can_text(client: Client) -> None:
    # Field errors on the delivery: the form and the API point at the choice that cannot be made.
    if not sms.enabled():
        raise ValidationError({"delivery": "Text messages are not set up here: send it by email or hand it over."})
    if not client.has_contact_consent:
        raise ValidationError({"delivery": "The client has not consented to electronic contact: nothing is sent."})
    if not client.phone.strip():
        raise ValidationError({"delivery": "The client record has no mobile number."})


@transaction.atomic
def send_link_sms(*, actor: User, link: ClientLink) -> ClientLink:
    """Text the link through the outbox, after commit, as `send_link` emails it. Only with consent."""
    link = ClientLink.objects.editable_by(actor).select_for_update().filter(pk=link.pk).first()
    if link is None:
        raise PermissionDenied("Only the client's clinician sends the client's links.")
    _check_can_text(Client.objects.get(pk=link.client_id))
    if not link.is_usable:
        raise ValidationError("This link no longer works; make a new one.")
    enqueue("participation.tasks.send_client_link_sms", link.pk)
    log.record(action=log.Action.CLIENT_LINK_SEND, actor=actor, subject=_subject(link), detail="sms")
    return link


@transaction.atomic
def revoke_link(*, actor: User, link: ClientLink) -> ClientLink:
    link = ClientLink.objects.editable_by(actor).select_for_update().filter(pk=link.pk).first()
    if link is None:
        raise PermissionDenied("Only the client's clinician revokes the client's links.")
    if link.status != ClientLink.Status.OPEN:
        raise ValidationError("Only an open link can be revoked.")
    link.status = ClientLink.Status.REVOKED
    link.ended_at = timezone.now()
    link.ended_by = actor
    link.save(update_fields=["status", "ended_at", "ended_by"])
    log.record(action=log.Action.CLIENT_LINK_REVOKE, actor=actor, subject=_subject(link))
    return link


def mint_for_sending(link_id: int, *, via: str = ClientLink.Delivery.EMAIL) -> tuple[ClientLink, str] | None:
    """For the sending task: a fresh token for a link not yet sent, or None (already sent, no longer
    usable, or consent or the address (`via` email or sms) withdrawn since). Run inside the task's transaction."""
    link = ClientLink.objects.select_for_update().select_related("client__practice").filter(pk=link_id).first()
    if link is None or link.sent_at is not None or not link.is_usable:
        return None
    address = link.client.phone.strip() if via == ClientLink.Delivery.SMS else link.client.email
    if not link.client.has_contact_consent or not address:
        return None
    token = new_token()
    link.token_hash = hash_token(token)
    link.sent_at = timezone.now()
    link.save(update_fields=["token_hash", "sent_at"])
    return link, link_path(token)


def record_open(*, link: ClientLink, request) -> None:
    log.record(action=log.Action.CLIENT_LINK_OPEN, request=request, subject=_subject(link))


@transaction.atomic
def verify_birth_date(*, link: ClientLink, date_of_birth: dt.date, request=None) -> bool:
    """True when the date of birth is the client's. A wrong one counts; the fifth voids the link
    and tells the clinician in the app, naming no client."""
    link = ClientLink.objects.select_for_update().select_related("client__practice").get(pk=link.pk)
    if not link.is_usable:
        return False
    if date_of_birth == link.client.date_of_birth:
        link.verified_at = timezone.now()
        link.save(update_fields=["verified_at"])
        log.record(action=log.Action.CLIENT_LINK_VERIFY, request=request, subject=_subject(link))
        return True
    ClientLink.objects.filter(pk=link.pk).update(failed_attempts=F("failed_attempts") + 1)
    link.refresh_from_db(fields=["failed_attempts"])
    log.record(
        action=log.Action.CLIENT_LINK_VERIFY,
        outcome=log.DENIED,
        request=request,
        subject=_subject(link),
        detail=f"wrong date of birth {link.failed_attempts} of {MAX_BIRTH_DATE_ATTEMPTS}",
    )
    if link.failed_attempts >= MAX_BIRTH_DATE_ATTEMPTS:
        link.status = ClientLink.Status.VOIDED
        link.ended_at = timezone.now()
        link.save(update_fields=["status", "ended_at"])
        log.record(action=log.Action.CLIENT_LINK_VOID, request=request, subject=_subject(link))
        recipients = {
            link.created_by_id: link.created_by,
            link.client.primary_clinician_id: link.client.primary_clinician,
        }
        notify(
            recipients=[user for user in recipients.values() if user.is_active],
            key=f"client-link-voided:{link.pk}",
            verb="client link locked",
            text="A client link was locked after five wrong dates of birth. Make a new one if it was the client.",
            url=reverse("clients:detail", args=[link.client_id]),
        )
    return False


@dataclass(frozen=True)
class Submitted:
    scores: list[MeasureScore]
    # PHQ-9 item 9 above 0 or a total in the severe band: the client sees the crisis text at once.
    at_risk: bool


def definitions_for(link: ClientLink) -> list[MeasureDefinition]:
    by_code = {
        d.code: d
        for d in MeasureDefinition.objects.available_to(link.client.practice_id).filter(code__in=link.measure_codes)
    }
    return [by_code[code] for code in link.measure_codes if code in by_code]


def _severe(score: MeasureScore) -> bool:
    # The PHQ-9's severe band (20-27) only: a severe GAD-7 is anxiety, not a sign of danger.
    return score.definition.code == "phq9" and score.band.strip().lower() == "severe"


@transaction.atomic
def submit_questionnaires(*, link: ClientLink, answers: dict[str, list[int]], request=None) -> Submitted:
    """Record the client's answers as client-reported scores, scored as a clinician's are; the link is done."""
    link = ClientLink.objects.select_for_update().select_related("client__practice").get(pk=link.pk)
    if not link.is_usable or link.purpose != ClientLink.Purpose.QUESTIONNAIRES:
        raise ValidationError("This link no longer works.")
    client = link.client
    # The score is the client's; it is filed under the clinician who asked for it, or, if they no
    # longer hold the record, the client's clinician now.
    actor = link.created_by
    if not Client.objects.editable_by(actor).filter(pk=client.pk).exists():
        actor = client.primary_clinician
    scores = [
        progress_services.record_measure(
            actor=actor,
            client=client,
            definition=definition,
            recorded_on=client.practice.today(),
            items=answers[definition.code],
            source=MeasureScore.Source.CLIENT,
        )
        for definition in definitions_for(link)
    ]
    link.status = ClientLink.Status.DONE
    link.done_at = timezone.now()
    link.save(update_fields=["status", "done_at"])
    log.record(
        action=log.Action.CLIENT_LINK_SUBMIT,
        request=request,
        subject=_subject(link),
        detail=" ".join(f"measure_score {s.pk}" for s in scores),
    )
    return Submitted(scores=scores, at_risk=any(s.risk_flag or _severe(s) for s in scores))
