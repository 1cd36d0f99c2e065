import datetime as dt

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

from accounts.models import Practice
from core.outbox import enqueue
from participation import scheduling, services


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
        link, path = minted
        practice = link.client.practice
        # Sent inside the transaction: a failed send rolls the mint back, and the retry mints again.
        send_mail(
            subject=f"A message from {practice.name}",
            message=render_to_string(
                "participation/email/link.txt",
                {"practice": practice, "link": settings.SITE_URL.rstrip("/") + path, "expires_at": link.expires_at},
            ),
            from_email=None,
            recipient_list=[link.client.email],
        )


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
        link, path = minted
        practice = link.client.practice
        send_mail(
            subject=f"A reminder from {practice.name}",
            message=render_to_string(
                "participation/email/reminder.txt",
                {"practice": practice, "link": settings.SITE_URL.rstrip("/") + path, "expires_at": link.expires_at},
            ),
            from_email=None,
            recipient_list=[link.client.email],
        )


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
