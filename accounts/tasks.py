from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Notification, PasswordResetRequest, User
from accounts.sessions import sign_out_expired_sessions


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_staff_invitation(user_id: int) -> None:
    """Email a new staff member a link to choose their password.

    Safe to run twice: a second email carries a fresh link, and the first
    stops working once a password is chosen.
    """
    user = User.objects.select_related("membership__practice").filter(pk=user_id, is_active=True).first()
    if user is None or user.has_usable_password():
        return
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {"user": user, "practice": user.membership.practice, "link": settings.SITE_URL.rstrip("/") + path}
    send_mail(
        subject=f"You have been invited to Psyplan by {user.membership.practice.name}",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_password_reset(request_id: int) -> None:
    """Email a reset link to the account with the requested address, if there is one.

    The request answered the same for every address and only stored the address and queued
    this; the lookup happens here, so neither the answer nor its timing says whether an account
    exists. The task takes the request's id, never the address (task arguments end up in broker
    and worker logs), deletes the request when done, and returns nothing (Celery logs return
    values). Running it again after it finished does nothing.
    """
    reset_request = PasswordResetRequest.objects.filter(pk=request_id).first()
    if reset_request is None:
        return
    site = urlsplit(settings.SITE_URL)
    for user in PasswordResetForm().get_users(reset_request.email):
        context = {
            "user": user,
            "protocol": site.scheme or "https",
            "domain": site.netloc,
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        }
        subject = "".join(render_to_string("accounts/email/password_reset_subject.txt", context).splitlines())
        send_mail(
            subject=subject,
            message=render_to_string("accounts/email/password_reset.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )
    reset_request.delete()


@shared_task
def clear_expired_sessions() -> None:
    """Sign out (in the access log) the sessions that expired unattended, then clear the rest."""
    sign_out_expired_sessions()
    call_command("clearsessions")


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def deliver_notification(recipient_id: int, key: str, verb: str, text: str, url: str) -> None:
    """Put a notice in the person's bell and email them a link.

    Idempotent on `key`: running twice neither duplicates the notice nor re-sends the email.
    The email names no client: clinical detail stays behind the sign-in.
    """
    recipient = User.objects.filter(pk=recipient_id, is_active=True).first()
    if recipient is None:
        return
    try:
        with transaction.atomic():
            Notification.objects.create(recipient=recipient, key=key, verb=verb, text=text, url=url)
    except IntegrityError:
        return
    send_mail(
        subject=f"Psyplan: {verb}",
        message=render_to_string(
            "accounts/email/notification.txt",
            {"user": recipient, "verb": verb, "link": settings.SITE_URL.rstrip("/") + url},
        ),
        from_email=None,
        recipient_list=[recipient.email],
    )
