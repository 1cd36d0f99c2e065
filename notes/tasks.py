import datetime as dt

from celery import shared_task
from django.db import transaction
from django.urls import reverse

from accounts.models import User
from core import outbox
from core.notify import notify
from notes import selectors


@shared_task
def remind_unsigned_notes() -> int:
    """Daily (beat): queue one reminder task per clinician with notes unsigned 72 hours after their
    session. Takes and passes ids and a date only, never a client's details."""
    ids = selectors.clinicians_with_unsigned_notes()
    clinicians = User.objects.filter(pk__in=ids).select_related("membership__practice")
    with transaction.atomic():
        for clinician in clinicians:
            # The day is the practice's, so a reminder is one per note per local day.
            outbox.enqueue(
                "notes.tasks.remind_clinician", clinician.pk, clinician.membership.practice.today().isoformat()
            )
    return len(ids)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def remind_clinician(clinician_id: int, day: str) -> int:
    """One notice per unsigned note per day: the notice's key names the session and the day, and
    delivery (accounts.tasks.deliver_notification) is idempotent on it, so running this, or the
    daily task, twice on one day sends each reminder once."""
    clinician = User.objects.filter(pk=clinician_id, is_active=True).first()
    if clinician is None:
        return 0
    dt.date.fromisoformat(day)
    sessions = list(selectors.notes_unsigned_after(clinician))
    with transaction.atomic():
        for session in sessions:
            notify(
                recipients=[clinician],
                key=f"notes.unsigned:{session.pk}:{day}",
                verb="note unsigned",
                # The chart number, as plans' notices name a plan: the bell is read by its recipient only.
                text=f"A progress note for {session.client.chart_number} is unsigned 72 hours after its session.",
                url=reverse("clients:detail", kwargs={"pk": session.client_id}),
            )
    return len(sessions)
