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
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts import policy
from accounts.models import Practice, User
from audit import log
from clients.models import Client
from core import sms
from core.notify import notify
from core.outbox import enqueue
from participation.models import (
    DECLINE_COMMENT_MAX_LENGTH,
    MAX_BIRTH_DATE_ATTEMPTS,
    ClientLink,
    ClientRiskAlert,
    RiskAlertRecipient,
    ScheduledQuestionnaire,
    hash_token,
)
from plans.lifecycle import transitions
from plans.models import MeasureDefinition, Objective, Signature, TreatmentPlan
from progress import services as progress_services
from progress.models import ClientAllianceRating, MeasureScore

# The questionnaires a client can answer through a link: those with items a client can read.
CLIENT_MEASURES = ("phq9", "gad7")
# The client-rated alliance (bond, goals, tasks, as the clinician rates them at review): not a
# MeasureDefinition but progress's ClientAllianceRating, chosen for a link by this code.
ALLIANCE = "alliance"
CLIENT_QUESTIONNAIRES = (*CLIENT_MEASURES, ALLIANCE)


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
        if any(code not in CLIENT_QUESTIONNAIRES for code in codes):
            raise ValidationError({"measure_codes": "Choose from the PHQ-9, the GAD-7 and the alliance rating."})
        measure_codes = {code for code in codes if code in CLIENT_MEASURES}
        available = set(
            MeasureDefinition.objects.available_to(client.practice_id)
            .filter(code__in=measure_codes)
            .values_list("code", flat=True)
        )
        if available != measure_codes:
            raise ValidationError({"measure_codes": "One of these questionnaires is not in your practice's library."})
        plan = None
    elif purpose == ClientLink.Purpose.AGREEMENT:
        if plan is None or plan.client_id != client.pk:
            raise ValidationError({"plan": "Choose one of this client's plan versions."})
        # The client agrees to the version in force: an older one is history, a draft is not yet theirs.
        if plan.status != TreatmentPlan.Status.ACTIVE:
            raise ValidationError({"plan": "Only the active version of a plan can be sent for agreement."})
        if _agreement_of(plan) is not None:
            raise ValidationError({"plan": "The client's agreement to this version is already recorded."})
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
    link = (
        ClientLink.objects.select_for_update(of=("self", "client"))
        .select_related("client__practice")
        .filter(pk=link_id)
        .first()
    )
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
    link = ClientLink.objects.select_for_update(of=("self",)).select_related("client__practice").get(pk=link.pk)
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
    alliance: ClientAllianceRating | None = None
    alerts: tuple[ClientRiskAlert, ...] = ()


@dataclass(frozen=True)
class AllianceAnswer:
    """The client's alliance rating as answered: bond, goals and tasks 1-5, and an optional comment."""

    bond: int
    goals: int
    tasks: int
    comment: str = ""


def definitions_for(link: ClientLink) -> list[MeasureDefinition]:
    by_code = {
        d.code: d
        for d in MeasureDefinition.objects.available_to(link.client.practice_id).filter(code__in=link.measure_codes)
    }
    return [by_code[code] for code in link.measure_codes if code in by_code]


def asks_alliance(link: ClientLink) -> bool:
    return ALLIANCE in (link.measure_codes or [])


def _severe(score: MeasureScore) -> bool:
    # The PHQ-9's severe band (20-27) only: a severe GAD-7 is anxiety, not a sign of danger.
    return score.definition.code == "phq9" and score.band.strip().lower() == "severe"


def _alert_reason(score: MeasureScore) -> str | None:
    if score.risk_flag:
        return ClientRiskAlert.Reason.ITEM_NINE
    if _severe(score):
        return ClientRiskAlert.Reason.SEVERE_TOTAL
    return None


def alert_recipients(client: Client, link: ClientLink) -> list[User]:
    """Who hears of a client's alert: the client's clinician, the link's maker if someone else who
    still sees the client, and for a trainee (whose plans a supervisor co-signs) their current
    supervisors who see the client."""
    clinicians = [client.primary_clinician]
    if link.created_by_id != client.primary_clinician_id:
        clinicians.append(link.created_by)
    people: dict[int, User] = {}
    for clinician in clinicians:
        if not Client.objects.visible_to(clinician).filter(pk=client.pk).exists():
            continue
        people[clinician.pk] = clinician
        if policy.needs_cosignature(clinician):
            for supervisor in policy.current_supervisors(clinician, client.practice_id):
                if Client.objects.visible_to(supervisor).filter(pk=client.pk).exists():
                    people.setdefault(supervisor.pk, supervisor)
    return list(people.values())


def _alert_subject(alert: ClientRiskAlert, practice_id: int) -> log.Subject:
    return log.Subject(
        object_type="client_alert", object_id=str(alert.pk), client_id=alert.client_id, practice_id=practice_id
    )


def _raise_alert(*, link: ClientLink, score: MeasureScore, reason: str, request=None) -> ClientRiskAlert:
    """In the submitting transaction: the alert, who is told, and their notice and email after commit."""
    alert = ClientRiskAlert.objects.create(client=link.client, link=link, score=score, reason=reason)
    recipients = alert_recipients(link.client, link)
    RiskAlertRecipient.objects.bulk_create([RiskAlertRecipient(alert=alert, user=user) for user in recipients])
    # The task takes the alert's id only: no name, no score in the outbox.
    enqueue("participation.tasks.deliver_risk_alert", alert.pk)
    log.record(
        action=log.Action.CLIENT_ALERT_RAISE,
        request=request,
        subject=_alert_subject(alert, link.client.practice_id),
        detail=f"{reason}; measure_score {score.pk}; told " + " ".join(f"user {u.pk}" for u in recipients),
    )
    return alert


@transaction.atomic
def submit_questionnaires(
    *,
    link: ClientLink,
    answers: dict[str, list[int]],
    alliance: AllianceAnswer | None = None,
    request=None,
) -> Submitted:
    """Record the client's answers as client-reported scores, scored as a clinician's are, and their
    alliance rating if the link asks for it; the link is done. A PHQ-9 with item 9 above 0 or a
    severe total raises an alert for the clinician (and a trainee's supervisor) in the same transaction."""
    link = ClientLink.objects.select_for_update(of=("self",)).select_related("client__practice").get(pk=link.pk)
    if not link.is_usable or link.purpose != ClientLink.Purpose.QUESTIONNAIRES:
        raise ValidationError("This link no longer works.")
    if asks_alliance(link) and alliance is None:
        raise ValidationError("Rate the three alliance questions.")
    client = link.client
    # The score is the client's; it is filed under the clinician who asked for it, or, if they no
    # longer hold the record, the client's clinician now.
    actor = link.created_by
    if not Client.objects.editable_by(actor).filter(pk=client.pk).exists():
        actor = client.primary_clinician
    today = client.practice.today()
    scores = [
        progress_services.record_measure(
            actor=actor,
            client=client,
            definition=definition,
            recorded_on=today,
            items=answers[definition.code],
            source=MeasureScore.Source.CLIENT,
        )
        for definition in definitions_for(link)
    ]
    rating = None
    if asks_alliance(link):
        rating = progress_services.record_client_alliance(
            actor=actor,
            client=client,
            bond=alliance.bond,
            goals=alliance.goals,
            tasks=alliance.tasks,
            comment=alliance.comment,
            recorded_on=today,
            source_link_id=link.pk,
        )
    link.status = ClientLink.Status.DONE
    link.done_at = timezone.now()
    link.save(update_fields=["status", "done_at"])
    detail = " ".join(f"measure_score {s.pk}" for s in scores)
    if rating is not None:
        detail = f"{detail} client_alliance {rating.pk}".strip()
    log.record(action=log.Action.CLIENT_LINK_SUBMIT, request=request, subject=_subject(link), detail=detail)
    alerts = []
    for score in scores:
        reason = _alert_reason(score)
        if reason is not None:
            alerts.append(_raise_alert(link=link, score=score, reason=reason, request=request))
    return Submitted(scores=scores, at_risk=bool(alerts), alliance=rating, alerts=tuple(alerts))


def may_acknowledge(user: User, alert: ClientRiskAlert) -> bool:
    """The client's clinician, or a clinician told of it (the link's maker, a trainee's supervisor)
    who still sees the client; a practice admin reads alerts but acts on none."""
    if not policy.is_clinician(user):
        return False
    if not ClientRiskAlert.objects.visible_to(user).filter(pk=alert.pk).exists():
        return False
    if alert.client.primary_clinician_id == user.pk:
        return True
    if alert.recipients.filter(user=user).exists():
        return True
    return policy.supervises(user, alert.client.primary_clinician, alert.client.practice_id)


@transaction.atomic
def acknowledge_alert(*, actor: User, alert: ClientRiskAlert, note: str) -> ClientRiskAlert:
    """Acknowledge an alert with a note of what was done; it leaves the dashboards and stays in the
    client's history. The note is in the change history; the access log records who and when."""
    alert = ClientRiskAlert.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk=alert.pk).first()
    if alert is None:
        raise PermissionDenied("This alert is not in your view.")
    alert = ClientRiskAlert.objects.select_related("client").get(pk=alert.pk)
    if not may_acknowledge(actor, alert):
        raise PermissionDenied("Only the client's clinician or their supervisor acknowledges the alert.")
    if not alert.is_open:
        raise ValidationError("This alert was already acknowledged.")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Write what you did about it: the alert is acknowledged with a note."})
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = actor
    alert.acknowledgement = note[:4000]
    alert.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledgement"])
    log.record(
        action=log.Action.CLIENT_ALERT_ACKNOWLEDGE,
        actor=actor,
        subject=_alert_subject(alert, alert.client.practice_id),
    )
    return alert


def risk_alert_recipients_to_tell(alert_id: int) -> list[int]:
    """The recipient rows of an alert whose notice and email have not gone yet."""
    return list(
        RiskAlertRecipient.objects.filter(alert_id=alert_id, notified_at__isnull=True).values_list("pk", flat=True)
    )


def claim_risk_alert_recipient(recipient_id: int) -> RiskAlertRecipient | None:
    """For the delivery task, inside its per-recipient transaction: the row, locked and marked told,
    or None when it was told already (a second run) or the person's account is closed."""
    row = (
        RiskAlertRecipient.objects.select_for_update(of=("self",))
        .select_related("user", "alert__client__practice")
        .filter(pk=recipient_id, notified_at__isnull=True, user__is_active=True)
        .first()
    )
    if row is None:
        return None
    row.notified_at = timezone.now()
    row.save(update_fields=["notified_at"])
    return row


# --- Agreement to a plan version (issue 15) -------------------------------------------------

# What the client reads when the version their link names is no longer the one in force.
NOT_CURRENT = (
    "This is no longer the current version of your plan, so it cannot be agreed to here. "
    "Your clinician will send you the current version."
)
ALREADY_AGREED = "Your agreement to this version of your plan is already recorded. You do not need to do anything else."


def _agreement_of(plan: TreatmentPlan) -> Signature | None:
    return plan.signatures.valid().filter(meaning=Signature.Meaning.CLIENT_AGREEMENT).first()


def _lock_agreement_link(link: ClientLink) -> ClientLink:
    """The link, locked, if it still takes an answer about a version still in force."""
    link = ClientLink.objects.select_for_update(of=("self",)).select_related("client__practice", "plan").get(pk=link.pk)
    if not link.is_usable or link.purpose != ClientLink.Purpose.AGREEMENT or link.plan is None:
        raise ValidationError("This link no longer works.")
    if link.plan.status != TreatmentPlan.Status.ACTIVE:
        raise ValidationError(NOT_CURRENT)
    if _agreement_of(link.plan) is not None:
        raise ValidationError(ALREADY_AGREED)
    return link


def _tell_clinicians(link: ClientLink, *, key: str) -> None:
    """In the app, to whoever made the link and the client's clinician: no client name, no answer."""
    recipients = {
        link.created_by_id: link.created_by,
        link.client.primary_clinician_id: link.client.primary_clinician,
    }
    notify(
        recipients=[user for user in recipients.values() if user.is_active],
        key=key,
        verb="client answered a plan agreement link",
        text="A client answered a plan agreement link. Open the plan to see the answer.",
        url=reverse("plans:detail", args=[link.plan_id]),
    )


def _plan_entry(link: ClientLink, request, detail: str) -> None:
    log.record(
        action=log.Action.SIGN,
        request=request,
        object_type="plan",
        object_id=link.plan_id,
        client_id=link.client_id,
        subject_practice_id=link.client.practice_id,
        detail=detail,
    )


@transaction.atomic
def agree_to_plan(*, link: ClientLink, typed_name: str, request=None) -> Signature:
    """The client agrees to the plan version their link names, by typing their name.

    The authority is the link (purpose-bound to this client and version) and the date of birth the
    client pages checked before: no staff member acts. The signature is the plans app's client
    agreement, bound to the version's canonical content as it is now, given through a client link."""
    link = _lock_agreement_link(link)
    if not typed_name.strip():
        raise ValidationError({"typed_name": "Type your name to agree."})
    try:
        signature = transitions.accept_client_agreement(plan=link.plan, typed_name=typed_name)
    except transitions.TransitionError as exc:
        # Something was quicker since the checks above: an amendment made active, or the clinician
        # recording the agreement in session.
        link.plan.refresh_from_db(fields=["status"])
        raise ValidationError(
            NOT_CURRENT if link.plan.status != TreatmentPlan.Status.ACTIVE else ALREADY_AGREED
        ) from exc
    link.status = ClientLink.Status.DONE
    link.done_at = signature.signed_at
    link.signature = signature
    link.save(update_fields=["status", "done_at", "signature"])
    log.record(
        action=log.Action.CLIENT_LINK_SUBMIT,
        request=request,
        subject=_subject(link),
        detail=f"agreed: signature {signature.pk}",
    )
    _plan_entry(link, request, f"v{link.plan.version_number} client agreement through a client link")
    _tell_clinicians(link, key=f"client-link-answered:{link.pk}")
    return signature


@transaction.atomic
def decline_plan(*, link: ClientLink, comment: str = "", request=None) -> ClientLink:
    """The client does not agree to the plan version their link names, optionally saying why."""
    link = _lock_agreement_link(link)
    comment = comment.strip()
    if len(comment) > DECLINE_COMMENT_MAX_LENGTH:
        raise ValidationError({"comment": f"Keep your comment to {DECLINE_COMMENT_MAX_LENGTH} characters."})
    link.status = ClientLink.Status.DONE
    link.done_at = link.declined_at = timezone.now()
    link.decline_comment = comment
    link.save(update_fields=["status", "done_at", "declined_at", "decline_comment"])
    # The comment stays on the link, behind the caseload door: never in the log or a notification.
    log.record(
        action=log.Action.CLIENT_LINK_SUBMIT,
        request=request,
        subject=_subject(link),
        detail="declined" + (" with a comment" if comment else ""),
    )
    _tell_clinicians(link, key=f"client-link-answered:{link.pk}")
    return link


def record_pdf_download(*, link: ClientLink, request) -> None:
    """The client's download of their plan version's client PDF, in the access log with the client."""
    log.record(
        action=log.Action.PDF_DOWNLOAD,
        request=request,
        object_type="plan",
        object_id=link.plan_id,
        client_id=link.client_id,
        subject_practice_id=link.client.practice_id,
        detail=f"audience=client through client link {link.pk}",
    )


# --- Scheduled questionnaires (participation/scheduling.py) ---------------------------------

# Who the access log names for what the scheduler does: no person acts, and no request is served.
SCHEDULER_ACTOR = "questionnaire scheduler"


def scheduled_measure_codes(plan: TreatmentPlan) -> list[str]:
    """What a scheduled link asks: the client-answerable measures the plan's objectives are bound to,
    then the practice's default set, each once, and only those in the practice's library."""
    practice = plan.client.practice
    bound = (
        Objective.objects.filter(goal__plan=plan, removed_at__isnull=True, bound_measure__isnull=False)
        .exclude(status=Objective.Status.DISCONTINUED)
        .order_by("goal__order", "order", "pk")
        .values_list("bound_measure__code", flat=True)
    )
    wanted = [code for code in dict.fromkeys([*bound, *(practice.client_default_measures or [])])]
    wanted = [code for code in wanted if code in CLIENT_QUESTIONNAIRES]
    # The alliance is not a library measure (progress's ClientAllianceRating): always available.
    available = {ALLIANCE} | set(
        MeasureDefinition.objects.available_to(practice.pk).filter(code__in=wanted).values_list("code", flat=True)
    )
    return [code for code in wanted if code in available]


@transaction.atomic
def create_scheduled_link(
    *,
    plan: TreatmentPlan,
    occasion: str,
    occasion_key: str,
    codes: list[str],
    expires_at: dt.datetime,
    review=None,
) -> ScheduledQuestionnaire | None:
    """Make and email one scheduled questionnaire link, or None when this occasion already has one
    (another run got there first) or the client may not be written to.

    The system's path, with no request and no acting user: the link is the client's clinician's
    (created_by), as if they had made it, so the answers are filed under them. Its token is thrown
    away at once; the sending task mints the one that is emailed (mint_for_sending)."""
    client = Client.objects.select_related("practice", "primary_clinician").get(pk=plan.client_id)
    if not client.is_active or not client.has_contact_consent or not client.email or not codes:
        return None
    try:
        # A savepoint: a concurrent run's row for the same occasion rolls back only this link.
        with transaction.atomic():
            link = ClientLink.objects.create(
                client=client,
                purpose=ClientLink.Purpose.QUESTIONNAIRES,
                measure_codes=list(codes),
                delivery=ClientLink.Delivery.EMAIL,
                token_hash=hash_token(new_token()),
                expires_at=expires_at,
                created_by=client.primary_clinician,
            )
            scheduled = ScheduledQuestionnaire.objects.create(
                plan=plan, review=review, occasion=occasion, occasion_key=occasion_key, link=link
            )
    except IntegrityError:
        return None
    log.record(
        action=log.Action.CLIENT_LINK_CREATE,
        actor_email=SCHEDULER_ACTOR,
        subject=_subject(link),
        detail=f"{ClientLink.Purpose.QUESTIONNAIRES} scheduled ({occasion_key})",
    )
    enqueue("participation.tasks.send_client_link", link.pk)
    log.record(
        action=log.Action.CLIENT_LINK_SEND,
        actor_email=SCHEDULER_ACTOR,
        subject=_subject(link),
        detail="email, scheduled",
    )
    return scheduled


def reminder_due(scheduled: ScheduledQuestionnaire, now: dt.datetime) -> bool:
    """Halfway through the link's life: late enough that the client has had time to answer,
    early enough that a reminded client still has as long again."""
    link = scheduled.link
    if link.sent_at is None or not link.is_usable or scheduled.reminder_queued_at is not None:
        return False
    return now >= link.sent_at + (link.expires_at - link.sent_at) / 2


@transaction.atomic
def queue_reminder(*, scheduled_id: int, now: dt.datetime | None = None) -> bool:
    """Queue the one reminder of a scheduled link still open and unanswered; False if not due or done."""
    now = now or timezone.now()
    scheduled = (
        ScheduledQuestionnaire.objects.select_for_update(of=("self",))
        .select_related("link__client")
        .filter(pk=scheduled_id)
        .first()
    )
    if scheduled is None or not reminder_due(scheduled, now):
        return False
    client = scheduled.link.client
    if not client.has_contact_consent or not client.email:
        return False
    scheduled.reminder_queued_at = now
    scheduled.save(update_fields=["reminder_queued_at"])
    enqueue("participation.tasks.send_client_link_reminder", scheduled.pk)
    log.record(
        action=log.Action.CLIENT_LINK_SEND,
        actor_email=SCHEDULER_ACTOR,
        subject=_subject(scheduled.link),
        detail="email reminder, scheduled",
    )
    return True


def mint_for_reminder(scheduled_id: int) -> tuple[ClientLink, str] | None:
    """For the reminder task: a fresh token for a link still open and unanswered, or None.

    The reminder rotates the token, so the first email's link stops working and the reminder says
    it replaces it. Keeping a second hash would let both emails work, but would double what a
    leaked inbox opens, and every lookup would have to try two columns; a client who opens the old
    email is told the link no longer works and has the new one in the same inbox. Run inside the
    task's transaction."""
    scheduled = (
        ScheduledQuestionnaire.objects.select_for_update(of=("self",))
        .select_related("link__client__practice")
        .filter(pk=scheduled_id)
        .first()
    )
    if scheduled is None or scheduled.reminder_sent_at is not None:
        return None
    link = (
        ClientLink.objects.select_for_update(of=("self", "client"))
        .select_related("client__practice")
        .get(pk=scheduled.link_id)
    )
    if link.sent_at is None or not link.is_usable:
        return None
    if not link.client.has_contact_consent or not link.client.email:
        return None
    token = new_token()
    link.token_hash = hash_token(token)
    link.save(update_fields=["token_hash"])
    scheduled.reminder_sent_at = timezone.now()
    scheduled.save(update_fields=["reminder_sent_at"])
    return link, link_path(token)


# --- The practice's client-link settings ------------------------------------------------------

CLIENT_LINK_SETTING_FIELDS = (
    "client_link_days",
    "crisis_text",
    "scheduled_questionnaires",
    "client_default_measures",
    "questionnaires_every_sessions",
)


@transaction.atomic
def save_client_link_settings(*, actor: User, practice: Practice, changed: list[str]) -> Practice:
    """Save the settings form's changes to the actor's practice; the log names the fields changed."""
    if not policy.can(actor, policy.Action.MANAGE_CLIENT_LINK_SETTINGS, practice):
        raise PermissionDenied("Only the practice's admins change its client-link settings.")
    fields = [name for name in changed if name in CLIENT_LINK_SETTING_FIELDS]
    if not fields:
        return practice
    unknown = [code for code in practice.client_default_measures or [] if code not in CLIENT_QUESTIONNAIRES]
    if unknown:
        raise ValidationError({"client_default_measures": "Choose from the questionnaires clients can answer."})
    practice.save(update_fields=fields)
    log.record(
        action=log.Action.CLIENT_LINK_SETTINGS,
        actor=actor,
        object_type="practice",
        object_id=practice.pk,
        subject_practice_id=practice.pk,
        detail="changed: " + ", ".join(fields),
    )
    return practice
