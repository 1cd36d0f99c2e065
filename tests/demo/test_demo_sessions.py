import datetime as dt
import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from audit.models import AccessLog
from demo.management.commands.seed_demo import SESSION_WEEKS
from notes import canonical, selectors
from notes.models import NoteAddendum, NoteObjective, NoteSignature, ProcessNote, ProgressNote, TherapySession
from plans.models import Objective, TreatmentPlan

Attendance = TherapySession.Attendance


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker):
    """seed_demo once for the module, in a transaction rolled back when the module ends."""
    with django_db_blocker.unblock(), transaction.atomic(), override_settings(DEBUG=True):
        call_command("seed_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db):
    """Each test runs in its own savepoint inside the seeded module."""


def _active_plans():
    return TreatmentPlan.objects.filter(status=TreatmentPlan.Status.ACTIVE, client__practice__name__endswith="Practice")


def test_every_demo_client_with_an_active_plan_has_a_year_of_weekly_sessions(seeded):
    plans = list(_active_plans())
    assert len(plans) == 3
    for plan in plans:
        sessions = list(TherapySession.objects.filter(client=plan.client).order_by("starts_at"))
        assert len(sessions) == SESSION_WEEKS
        assert {s.plan_id for s in sessions} == {plan.pk}
        first, last = sessions[0].local_starts_at.date(), sessions[-1].local_starts_at.date()
        assert 350 <= (last - first).days <= 366 and last < plan.client.practice.today()
        assert all(s.local_starts_at.weekday() < 5 for s in sessions)
        assert sessions[0].service_type.code == "intake"
        assert {s.service_type.code for s in sessions[1:]} == {"individual"}
    # Clients without an active plan have no sessions.
    others = TherapySession.objects.exclude(client__in=[p.client for p in plans])
    assert not others.exists()


def test_the_demo_history_has_a_realistic_attendance_mix_with_reasons(seeded):
    for plan in _active_plans():
        sessions = TherapySession.objects.filter(client=plan.client)
        mix = Counter(sessions.values_list("attendance", flat=True))
        assert mix[Attendance.ATTENDED] >= 45
        assert mix[Attendance.LATE_CANCELLATION] >= 2
        assert mix[Attendance.NO_SHOW] >= 1 and mix[Attendance.CANCELLED_BY_CLINICIAN] >= 1
        assert all(s.reason for s in sessions.exclude(attendance=Attendance.ATTENDED))
        assert not ProgressNote.objects.filter(session__client=plan.client).exclude(session__attendance="attended")
        assert ProgressNote.objects.filter(session__client=plan.client).count() == mix[Attendance.ATTENDED]


def test_the_demo_notes_are_signed_hours_after_their_session_with_real_hashes(seeded):
    plan = _active_plans().get(client__chart_number="D-1001")
    notes = ProgressNote.objects.filter(session__client=plan.client).select_related("session")
    signed = [n for n in notes if n.is_signed]
    assert len(signed) == notes.count() - 2 and notes.drafts().count() == 2
    latest = notes.order_by("-session__starts_at").first()
    assert latest.status == ProgressNote.Status.DRAFT
    for note in signed[:10]:
        session_end = note.session.starts_at + dt.timedelta(minutes=note.session.duration_minutes)
        assert session_end < note.signed_at < session_end + dt.timedelta(hours=6)
        signature = NoteSignature.objects.of_note().get(note=note)
        assert signature.content_hash == canonical.digest(canonical.note_json(note))
    assert NoteAddendum.objects.filter(note__session__client=plan.client).count() == 2
    assert ProcessNote.objects.filter(client=plan.client).exists()
    # The access log keeps the real time of the acts, whatever the signatures say.
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    assert not AccessLog.objects.filter(action="note.sign", at__lt=hour_ago).exists()


def test_the_demo_shows_a_risk_flag_and_a_note_unsigned_past_72_hours(seeded):
    clinician = User.objects.get(email="clinician@demo.test")
    supervisor = User.objects.get(email="supervisor@demo.test")
    flagged = selectors.risk_flags(clinician)
    assert flagged.count() == 1 and flagged.get().risk == ProgressNote.Risk.MODERATE and flagged.get().safety_plan
    assert flagged.get().is_signed
    assert selectors.risk_flags(supervisor).filter(author=clinician).exists()
    stale = selectors.notes_unsigned_after(clinician)
    assert stale.exists()
    assert all(s.starts_at < timezone.now() - dt.timedelta(hours=72) for s in stale)


def test_the_demo_notes_draw_on_the_plan_and_leave_one_objective_drifting(seeded):
    plan = _active_plans().get(client__chart_number="D-1001")
    objectives = list(Objective.objects.filter(goal__plan=plan))
    assert len(objectives) > 1
    worked = NoteObjective.objects.filter(note__session__client=plan.client)
    assert set(worked.values_list("objective__goal__plan", flat=True)) == {plan.pk}
    assert len(set(worked.values_list("evidence", flat=True))) >= 8
    assert {m for m in worked.values_list("movement", flat=True)} >= {"no_change", "some_movement", "clear_movement"}
    quarter_ago = timezone.now() - dt.timedelta(weeks=13)
    recent = set(worked.filter(note__session__starts_at__gte=quarter_ago).values_list("objective", flat=True))
    assert {o.pk for o in objectives} - recent, "one objective is left alone for a quarter, so drift shows"
    notes = list(ProgressNote.objects.filter(session__client=plan.client).order_by("session__starts_at"))
    functioning = [n.defensive_functioning for n in notes if n.defensive_functioning is not None]
    quarter = len(functioning) // 4
    assert sum(functioning[-quarter:]) / quarter > sum(functioning[:quarter]) / quarter + 0.5
    transference = [e for n in notes for e in n.episodes.all() if e.is_transference]
    assert 3 <= len(transference) <= 10
    wishes = Counter(e.wish for n in notes for e in n.episodes.all())
    assert wishes.most_common(1)[0][0] == plan.formulation.ccrt_wish


def test_running_seed_demo_twice_adds_no_sessions_notes_or_signatures(seeded):
    models = (TherapySession, ProgressNote, NoteSignature, NoteAddendum, ProcessNote)
    counts = [m.objects.count() for m in models]
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=io.StringIO())
    assert [m.objects.count() for m in models] == counts
