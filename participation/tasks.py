from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

from core import sms
from participation import services
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
