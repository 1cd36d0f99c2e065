"""The reads of sessions and notes that pages, the dashboard and tasks share."""

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from accounts import policy
from accounts.models import User
from notes.models import ProgressNote, TherapySession

UNSIGNED_AFTER_HOURS = 72


def notes_unsigned_after(user: User, hours: int = UNSIGNED_AFTER_HOURS, *, now: dt.datetime | None = None):
    """The user's own attended sessions that began more than `hours` ago and have no signed note
    (a draft, or none written yet), oldest first: what the dashboard flags and the reminder names."""
    cutoff = (now or timezone.now()) - dt.timedelta(hours=hours)
    return (
        TherapySession.objects.editable_by(user)
        .attended()
        .filter(clinician=user, starts_at__lt=cutoff)
        .filter(Q(note__isnull=True) | Q(note__status=ProgressNote.Status.DRAFT))
        .select_related("client", "service_type")
        .order_by("starts_at", "pk")
    )


def clinicians_with_unsigned_notes(hours: int = UNSIGNED_AFTER_HOURS, *, now: dt.datetime | None = None) -> list[int]:
    """The ids of everyone who has a note unsigned `hours` after its session (for the daily reminder)."""
    cutoff = (now or timezone.now()) - dt.timedelta(hours=hours)
    return sorted(
        set(
            TherapySession.objects.attended()
            .filter(starts_at__lt=cutoff, clinician__is_active=True)
            .filter(Q(note__isnull=True) | Q(note__status=ProgressNote.Status.DRAFT))
            .values_list("clinician_id", flat=True)
        )
    )


def risk_flags(user: User):
    """Notes with a moderate or high risk check for the user's dashboard: their own, and as a
    supervisor their current supervisees'. An admin's oversight of the whole practice is not a flag."""
    return (
        ProgressNote.objects.visible_to(user)
        .filter(risk__in=ProgressNote.FLAGGED_RISKS)
        .filter(Q(author=user) | Q(author_id__in=policy.supervisee_ids(user)))
        .select_related("session__client")
        .order_by("-session__starts_at", "-pk")
    )
