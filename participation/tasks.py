import datetime as dt

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import Notification, Practice
from core import sms
from core.outbox import enqueue
from participation import scheduling, services
from participation.models import ClientLink


@shared_task(name="participation.tasks.send_client_link", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_client_link(link_id: int) -> None:
    """Email a client their link. The email names the practice and carries the link: no client
    name, no clinical word. The token is minted here, in the transaction that sends, so the raw
    token never sits in the database or the outbox; a second run finds the link sent and does nothing.
    """
    with transaction.atomic():
        minted = services.mint_for_sending(link_id)
        if minted is None:
            return
        # Sent inside the transaction: a failed send rolls the mint back, and the retry mints again.
        _email_link(*minted, subject="A message from {practice}", template="participation/email/link.txt")


@shared_task(
    name="participation.tasks.send_client_link_reminder", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_client_link_reminder(scheduled_id: int) -> None:
    """The one reminder of a scheduled questionnaire link. It carries a new token (minted here, as
    for the first email) and says it replaces the earlier link, which stops working."""
    with transaction.atomic():
        minted = services.mint_for_reminder(scheduled_id)
        if minted is None:
            return
        _email_link(*minted, subject="A reminder from {practice}", template="participation/email/reminder.txt")


@shared_task(name="participation.tasks.run_questionnaire_scheduler")
def run_questionnaire_scheduler() -> int:
    """Beat calls this every few minutes; each practice runs once a day after its local run time."""
    ready = scheduling.practices_ready()
    for practice, run_date in ready:
        enqueue("participation.tasks.schedule_practice_questionnaires", practice.pk, run_date.isoformat())
    return len(ready)


@shared_task(
    name="participation.tasks.schedule_practice_questionnaires",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
)
def schedule_practice_questionnaires(practice_id: int, run_date: str) -> dict | None:
    """Idempotent: a second delivery finds the day's run finished and does nothing."""
    practice = Practice.objects.filter(pk=practice_id).first()
    if practice is None:
        return None
    result = scheduling.run_recorded(practice, dt.date.fromisoformat(run_date))
    return None if result is None else result.__dict__


@shared_task(name="participation.tasks.deliver_risk_alert", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def deliver_risk_alert(alert_id: int) -> None:
    """Tell each person an alert names: a notice in their bell and one email. The email says only
    that the practice has an urgent item for them in Psyplan, with a link to sign in: no client,
    no score, no clinical word. Each recipient is told in their own transaction, marked told as the
    email goes, so a second run (or a retry after one address failed) tells nobody twice.

    The notice is written here rather than through core.notify, whose delivery sends its own
    email: one alert, one email.
    """
    for recipient_id in services.risk_alert_recipients_to_tell(alert_id):
        with transaction.atomic():
            row = services.claim_risk_alert_recipient(recipient_id)
            if row is None:
                continue
            practice = row.alert.client.practice
            Notification.objects.get_or_create(
                key=f"client-alert:{alert_id}:to:{row.user_id}",
                defaults={
                    "recipient": row.user,
                    "verb": "urgent client alert",
                    "text": "A client's answers need your attention today. Acknowledge the alert with a note.",
                    "url": reverse("participation:alert_acknowledge", args=[alert_id]),
                },
            )
            # Inside the transaction: a failed send rolls back the mark, and the retry sends again.
            send_mail(
                subject=f"Psyplan: an urgent item from {practice.name}",
                message=render_to_string(
                    "participation/email/risk_alert.txt",
                    {"user": row.user, "practice": practice, "link": settings.SITE_URL.rstrip("/") + reverse("home")},
                ),
                from_email=None,
                recipient_list=[row.user.email],
            )


@shared_task(
    name="participation.tasks.send_client_link_sms", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_client_link_sms(link_id: int) -> None:
    """Text a client their link: "<practice>: <link>", no client name, no clinical word. Minted in
    the sending transaction as the email is, so a second run finds the link sent and does nothing."""
    if not sms.enabled():
        # Texts were turned off after the link was made: it stays unsent (and the clinician sees no "sent").
        return
    with transaction.atomic():
        minted = services.mint_for_sending(link_id, via=ClientLink.Delivery.SMS)
        if minted is None:
            return
        link, path = minted
        url = settings.SITE_URL.rstrip("/") + path
        sms.send_sms(link.client.phone.strip(), f"{link.client.practice.name}: {url}")


def _email_link(link, path: str, *, subject: str, template: str) -> None:
    """Email a client a freshly minted link: the practice's name and the link, nothing else."""
    practice = link.client.practice
    send_mail(
        subject=subject.format(practice=practice.name),
        message=render_to_string(
            template,
            {"practice": practice, "link": settings.SITE_URL.rstrip("/") + path, "expires_at": link.expires_at},
        ),
        from_email=None,
        recipient_list=[link.client.email],
    )
