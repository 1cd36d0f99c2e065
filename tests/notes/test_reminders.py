"""The flags a dashboard will show: notes unsigned 72 hours after their session (with the daily reminder,
sent once per note per day) and notes with a moderate or high risk check."""

import datetime as dt

import time_machine
from django.conf import settings
from django.utils import timezone

from accounts.models import Notification
from core.models import OutboxMessage
from notes import selectors, services, tasks
from notes.models import TherapySession
from tests.notes.builders import record


def test_a_session_without_a_signed_note_is_flagged_72_hours_after_it(clinician, session):
    assert list(selectors.notes_unsigned_after(clinician, now=session.starts_at + dt.timedelta(hours=71))) == []
    late = session.starts_at + dt.timedelta(hours=73)
    assert list(selectors.notes_unsigned_after(clinician, now=late)) == [session]
    note = services.save_note(actor=clinician, session=session, what_happened="Draft.")
    assert list(selectors.notes_unsigned_after(clinician, now=late)) == [session]
    services.sign_note(actor=clinician, note=note)
    assert list(selectors.notes_unsigned_after(clinician, now=late)) == []


def test_sessions_that_did_not_happen_and_other_peoples_sessions_are_not_flagged(
    clinician, colleague, supervisor, own_client, active_plan, individual
):
    record(clinician, own_client, individual, attendance=TherapySession.Attendance.NO_SHOW, reason="Away.")
    record(clinician, own_client, individual)
    late = timezone.now() + dt.timedelta(days=400)
    assert selectors.notes_unsigned_after(clinician, now=late).count() == 1
    assert selectors.notes_unsigned_after(colleague, now=late).count() == 0
    # The supervisor reads the session but is not reminded of a note that is not theirs.
    assert selectors.notes_unsigned_after(supervisor, now=late).count() == 0


def test_the_daily_reminder_run_twice_sends_one_notice_per_note(
    clinician, own_client, session, individual, django_capture_on_commit_callbacks, mailoutbox
):
    second = record(clinician, own_client, individual, date=dt.date(2026, 11, 11))
    with time_machine.travel(second.starts_at + dt.timedelta(days=5), tick=False):
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                tasks.remind_unsigned_notes()
    notices = Notification.objects.filter(recipient=clinician)
    assert notices.count() == 2
    assert {n.key.split(":")[1] for n in notices} == {str(session.pk), str(second.pk)}
    assert len(mailoutbox) == 2
    # What went through the outbox names ids and a day, nothing of the client's.
    queued = OutboxMessage.objects.filter(task="notes.tasks.remind_clinician")
    assert queued.count() == 2
    assert all(m.args[0] == clinician.pk and len(m.args) == 2 for m in queued)


def test_the_next_day_reminds_again(clinician, session, django_capture_on_commit_callbacks):
    start = session.starts_at + dt.timedelta(days=4)
    for day in (start, start + dt.timedelta(days=1)):
        with time_machine.travel(day, tick=False), django_capture_on_commit_callbacks(execute=True):
            tasks.remind_unsigned_notes()
    assert Notification.objects.filter(recipient=clinician).count() == 2


def test_the_reminder_is_scheduled_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["remind-unsigned-notes"]
    assert entry["task"] == "notes.tasks.remind_unsigned_notes"
    assert entry["schedule"] == dt.timedelta(days=1)


def test_a_moderate_or_high_risk_is_flagged_for_the_clinician_and_the_supervisor(
    clinician, supervisor, colleague, admin, session
):
    services.save_note(actor=clinician, session=session, risk="high", safety_plan="Crisis line.")
    assert [n.session for n in selectors.risk_flags(clinician)] == [session]
    assert [n.session for n in selectors.risk_flags(supervisor)] == [session]
    assert not selectors.risk_flags(colleague).exists()
    assert not selectors.risk_flags(admin).exists()


def test_a_low_risk_raises_no_flag(clinician, supervisor, session):
    services.save_note(actor=clinician, session=session, risk="low")
    assert not selectors.risk_flags(clinician).exists()
