"""Scheduled questionnaires across review cycles under a moving clock: sent once before each review,
reminded once, survive a broker outage through the outbox, and every N attended sessions."""

import datetime as dt
import re
import zoneinfo
from unittest import mock

import pytest
import time_machine
from celery.app.task import Task
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError

from core.models import OutboxMessage
from core.outbox import relay
from notes.models import ServiceType, TherapySession
from participation import scheduling, services
from participation.models import ClientLink, QuestionnaireSchedulerRun, ScheduledQuestionnaire
from plans.lifecycle import transitions
from plans.models import MeasureDefinition, Objective
from progress import scheduling as review_scheduling
from progress.models import MeasureScore, ProgressReview
from tests.conftest import wait_for
from tests.factories import ClientFactory, complete_review_continuing, make_plan

NY = zoneinfo.ZoneInfo("America/New_York")
SEND = "participation.tasks.send_client_link"
REMIND = "participation.tasks.send_client_link_reminder"
CLIENT_EMAIL = "client.two@example.org"
LINK_IN_EMAIL = re.compile(r"/c/([A-Za-z0-9_-]+)/")


def _reachable(client, clinician):
    client.email = CLIENT_EMAIL
    client.contact_consent_on = dt.date(2026, 11, 1)
    client.contact_consent_recorded_by = clinician
    client.save()
    return client


def _active_plan(clinician, *, bound="phq9", reachable=True):
    client = ClientFactory(primary_clinician=clinician)
    if reachable:
        _reachable(client, clinician)
    plan = make_plan(client)
    if bound:
        Objective.objects.filter(goal__plan=plan).update(
            bound_measure=MeasureDefinition.objects.get(practice=None, code=bound)
        )
    return transitions.submit_plan(actor=clinician, plan=plan)


def _complete(actor, review):
    return complete_review_continuing(actor, review, alliance_tasks=4)


def _run_day(practice, day, capture, hour=7):
    """Both morning scans of one day, with what they queue handed to the (eager) broker."""
    with capture(execute=True):
        review_scheduling.run_for_practice(practice, day)
        return scheduling.run_for_practice(practice, day)


def _answer(link):
    answers = {"phq9": [1] * 9, "gad7": [1] * 7}
    alliance = services.AllianceAnswer(bond=4, goals=4, tasks=4) if services.asks_alliance(link) else None
    return services.submit_questionnaires(
        link=link, answers={code: answers[code] for code in link.measure_codes if code in answers}, alliance=alliance
    )


def _to_clients():
    """The emails sent to clients (the clinician's review notices go by email too)."""
    return [m for m in mail.outbox if m.to == [CLIENT_EMAIL]]


def _token(message) -> str:
    return LINK_IN_EMAIL.search(message.body).group(1)


def test_a_review_cycle_sends_once_seven_days_ahead_reminds_once_and_the_next_cycle_gets_its_own_link(
    clinician, practice, django_capture_on_commit_callbacks, settings
):
    settings.CLIENT_MEASURES_LEAD_DAYS = 7
    practice.client_default_measures = ["gad7", "phq9"]
    practice.save()
    capture = django_capture_on_commit_callbacks
    with time_machine.travel(dt.datetime(2026, 11, 30, 15, 0, tzinfo=NY), tick=False) as clock:
        plan = _active_plan(clinician)
        due = plan.next_review_date
        assert due == dt.date(2027, 2, 28)

        def morning(day):
            clock.move_to(dt.datetime.combine(day, dt.time(7, 0), NY))
            return _run_day(practice, day, capture)

        # Eight days ahead the review exists (the review scan's lead is 14 days), but nothing is sent.
        assert morning(due - dt.timedelta(days=8)) == scheduling.QuestionnaireRunResult()
        assert ProgressReview.objects.filter(plan=plan, due_date=due).exists()
        assert not ClientLink.objects.exists() and not _to_clients()

        # Seven days ahead: one link, its email queued through the outbox and sent.
        assert morning(due - dt.timedelta(days=7)).sent == 1
        link = ClientLink.objects.get()
        assert link.measure_codes == ["phq9", "gad7"]  # the objective's measure first, each once
        assert link.created_by == clinician and link.sent_at is not None
        assert OutboxMessage.objects.filter(task=SEND, args=[link.pk]).count() == 1
        assert len(_to_clients()) == 1
        first_token = _token(_to_clients()[0])
        assert services.find_link(first_token) == link
        # The link is for the review: it ends with the review's day, no later than the practice's days.
        assert link.expires_at == dt.datetime(2027, 2, 28, 7, 0, tzinfo=NY)

        # Run again the same day, and on the days after: nothing is sent twice.
        ours = OutboxMessage.objects.filter(task__startswith="participation.")
        outbox_rows = ours.count()
        assert _run_day(practice, due - dt.timedelta(days=7), capture) == scheduling.QuestionnaireRunResult()
        assert morning(due - dt.timedelta(days=6)) == scheduling.QuestionnaireRunResult()
        assert ours.count() == outbox_rows and len(_to_clients()) == 1

        # Halfway through the link's week, one reminder, with a new token that replaces the first.
        reminders = {}
        for offset in range(5, 0, -1):
            result = morning(due - dt.timedelta(days=offset))
            if result.reminded:
                reminders[offset] = result.reminded
        assert reminders == {3: 1}
        assert len(_to_clients()) == 2 and "replaces the one in our earlier message" in _to_clients()[1].body
        assert OutboxMessage.objects.filter(task=REMIND).count() == 1
        assert services.find_link(first_token) is None
        assert services.find_link(_token(_to_clients()[1])) == link

        # The review is completed on its day and the next one scheduled three months on.
        clock.move_to(dt.datetime.combine(due, dt.time(15, 0), NY))
        _complete(clinician, ProgressReview.objects.get(plan=plan, due_date=due))
        link.refresh_from_db()
        assert link.is_expired and link.status == ClientLink.Status.OPEN
        plan.refresh_from_db()
        next_due = plan.next_review_date
        assert next_due == dt.date(2027, 5, 28)

        assert morning(next_due - dt.timedelta(days=8)).sent == 0
        assert morning(next_due - dt.timedelta(days=7)).sent == 1
        second = ClientLink.objects.exclude(pk=link.pk).get()
        assert second.schedule.review.due_date == next_due
        # The client answers the next day: no reminder for an answered link.
        clock.move_to(dt.datetime.combine(next_due - dt.timedelta(days=6), dt.time(19, 0), NY))
        _answer(second)
        for offset in range(5, 0, -1):
            assert morning(next_due - dt.timedelta(days=offset)).reminded == 0

    assert ScheduledQuestionnaire.objects.filter(plan=plan).count() == 2
    assert OutboxMessage.objects.filter(task=SEND).count() == 2
    assert OutboxMessage.objects.filter(task=REMIND).count() == 1
    assert len(_to_clients()) == 3
    assert MeasureScore.objects.filter(client=plan.client, source=MeasureScore.Source.CLIENT).count() == 2


def test_with_the_broker_down_the_run_leaves_its_emails_in_the_outbox_and_a_second_run_adds_nothing(
    clinician, practice, django_capture_on_commit_callbacks
):
    plan = _active_plan(clinician)
    ProgressReview.objects.create(plan=plan, due_date=practice.today() + dt.timedelta(days=5))
    with mock.patch.object(Task, "apply_async", side_effect=OperationalError("Connection refused")):
        with django_capture_on_commit_callbacks(execute=True):
            first = scheduling.run_for_practice(practice, practice.today())
        with django_capture_on_commit_callbacks(execute=True):
            second = scheduling.run_for_practice(practice, practice.today())
    assert first.sent == 1 and second == scheduling.QuestionnaireRunResult()
    assert ClientLink.objects.count() == 1 and not _to_clients()
    pending = OutboxMessage.objects.filter(sent_at__isnull=True)
    assert list(pending.values_list("task", flat=True)) == [SEND]

    # The broker is back: the relay sends the email; relaying again and running again send nothing.
    assert relay() == (1, 0)
    assert len(_to_clients()) == 1 and ClientLink.objects.get().sent_at is not None
    assert relay() == (0, 0)
    with django_capture_on_commit_callbacks(execute=True):
        assert scheduling.run_for_practice(practice, practice.today()) == scheduling.QuestionnaireRunResult()
    assert OutboxMessage.objects.count() == 1 and len(_to_clients()) == 1


def test_every_n_attended_sessions_sends_once_per_n_and_not_while_one_is_open(
    clinician, practice, django_capture_on_commit_callbacks
):
    practice.questionnaires_every_sessions = 3
    practice.save()
    plan = _active_plan(clinician, bound=None)
    individual = ServiceType.objects.get(practice=None, code="individual")

    def session(days_after, attendance=TherapySession.Attendance.ATTENDED):
        TherapySession.objects.create(
            client=plan.client,
            plan=plan,
            clinician=clinician,
            starts_at=plan.activated_at + dt.timedelta(days=days_after),
            timezone=practice.timezone,
            duration_minutes=50,
            attendance=attendance,
            service_type=individual,
            reason="" if attendance == TherapySession.Attendance.ATTENDED else "Unwell",
        )

    def run(day):
        with time_machine.travel(plan.activated_at + dt.timedelta(days=day, hours=1), tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                return scheduling.run_for_practice(practice, practice.today())

    session(1)
    session(2)
    session(3, TherapySession.Attendance.NO_SHOW)  # not attended: does not count
    assert run(4).sent == 0
    session(5)
    assert run(6).sent == 1
    assert run(6).sent == 0
    link = ClientLink.objects.get()
    assert link.schedule.occasion_key == "sessions:3" and link.measure_codes == ["phq9", "gad7", "alliance"]
    session(7)
    session(8)
    session(9)
    # Six attended, but the link for three is still open: one questionnaire at a time.
    assert run(10).sent == 0
    _answer(link)
    assert run(11).sent == 1
    assert ClientLink.objects.filter(schedule__occasion_key="sessions:6").count() == 1


def test_clients_without_consent_or_email_are_skipped_and_counted_in_the_run_record(
    clinician, practice, django_capture_on_commit_callbacks
):
    no_consent = _active_plan(clinician, reachable=False)
    no_email = _active_plan(clinician)
    ClientFactory._meta.model.objects.filter(pk=no_email.client_id).update(email="")
    reachable = _active_plan(clinician)
    for plan in (no_consent, no_email, reachable):
        ProgressReview.objects.create(plan=plan, due_date=practice.today() + dt.timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        result = scheduling.run_recorded(practice, practice.today())
    assert (result.sent, result.skipped_no_contact) == (1, 2)
    run = QuestionnaireSchedulerRun.objects.get(practice=practice)
    assert (run.sent, run.skipped_no_contact) == (1, 2) and run.finished_at is not None
    assert list(ClientLink.objects.values_list("client", flat=True)) == [reachable.client_id]
    # The day's run is done: a second delivery of the task does nothing.
    assert scheduling.run_recorded(practice, practice.today()) is None


def test_a_practice_with_scheduling_off_or_a_closed_plan_is_sent_nothing(
    clinician, practice, django_capture_on_commit_callbacks
):
    plan = _active_plan(clinician)
    ProgressReview.objects.create(plan=plan, due_date=practice.today() + dt.timedelta(days=3))
    practice.scheduled_questionnaires = False
    practice.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert scheduling.run_for_practice(practice, practice.today()).sent == 0
    practice.scheduled_questionnaires = True
    practice.save()
    transitions.close_plan(actor=clinician, plan=plan, reason="Ended")
    with django_capture_on_commit_callbacks(execute=True):
        assert scheduling.run_for_practice(practice, practice.today()).sent == 0
    assert not ClientLink.objects.exists()


def test_two_runs_racing_for_one_occasion_make_one_link(clinician, practice):
    plan = _active_plan(clinician)
    review = ProgressReview.objects.create(plan=plan, due_date=practice.today() + dt.timedelta(days=3))
    kwargs = {
        "plan": plan,
        "review": review,
        "occasion": ScheduledQuestionnaire.Occasion.REVIEW,
        "occasion_key": f"review:{review.pk}",
        "codes": ["phq9"],
        "expires_at": timezone.now() + dt.timedelta(days=3),
    }
    assert services.create_scheduled_link(**kwargs) is not None
    assert services.create_scheduled_link(**kwargs) is None
    assert ClientLink.objects.count() == 1 and OutboxMessage.objects.count() == 1


def test_the_questionnaire_scheduler_is_on_the_beat_schedule(settings):
    entries = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "participation.tasks.run_questionnaire_scheduler" in entries


def test_practices_are_ready_after_their_local_run_time(practice, other_practice, settings):
    settings.CLIENT_MEASURES_SCHEDULER_TIME = "07:00"
    # 11:30 UTC is 06:30 in New York (not yet) and 12:30 in Berlin (ready).
    with time_machine.travel(dt.datetime(2027, 1, 15, 11, 30, tzinfo=dt.UTC), tick=False):
        ready = {p.name: day for p, day in scheduling.practices_ready()}
    assert ready == {"Elsewhere": dt.date(2027, 1, 15)}


@pytest.mark.celery_worker
def test_the_questionnaire_task_runs_through_a_real_worker_once_per_day(
    celery_worker_app, transactional_db, clinician, practice
):
    from participation.tasks import schedule_practice_questionnaires

    plan = _active_plan(clinician)
    ProgressReview.objects.create(plan=plan, due_date=practice.today() + dt.timedelta(days=3))
    schedule_practice_questionnaires.delay(practice.pk, practice.today().isoformat())
    schedule_practice_questionnaires.delay(practice.pk, practice.today().isoformat())
    wait_for(lambda: QuestionnaireSchedulerRun.objects.filter(practice=practice, finished_at__isnull=False).exists())
    wait_for(lambda: ClientLink.objects.filter(sent_at__isnull=False).exists())
    assert QuestionnaireSchedulerRun.objects.get(practice=practice).sent == 1
    assert ClientLink.objects.count() == 1 and len(_to_clients()) == 1


def test_the_daily_run_counts_sessions_only_for_clients_with_a_session_saved_since_the_last_run(
    clinician, practice, django_capture_on_commit_callbacks
):
    """A count reaches another N only when an attended session is saved, so after the first run the
    daily run reads only clients with sessions saved since the last one (less a day's margin); a
    practice switching "every N sessions" on asks each client at their next attended session."""
    individual = ServiceType.objects.get(practice=None, code="individual")
    base = dt.datetime(2026, 11, 2, 12, 0, tzinfo=NY)

    def session(plan, at):
        with time_machine.travel(at, tick=False):
            TherapySession.objects.create(
                client=plan.client,
                plan=plan,
                clinician=clinician,
                starts_at=at - dt.timedelta(hours=1),
                timezone=practice.timezone,
                duration_minutes=50,
                service_type=individual,
            )

    def run(day):
        with time_machine.travel(base + dt.timedelta(days=day, hours=-4), tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                return scheduling.run_recorded(practice, practice.today())

    with time_machine.travel(base - dt.timedelta(days=10), tick=False):
        quiet, busy = _active_plan(clinician, bound=None), _active_plan(clinician, bound=None)
    for day in (-9, -8, -7):
        session(quiet, base + dt.timedelta(days=day))
    session(busy, base + dt.timedelta(days=-9))
    session(busy, base + dt.timedelta(days=-8))
    assert run(0).sent == 0  # "every N sessions" still off
    practice.questionnaires_every_sessions = 3
    practice.save()
    session(busy, base + dt.timedelta(hours=-20))  # saved within the day's margin before that run
    assert run(1).sent == 1
    assert list(ScheduledQuestionnaire.objects.values_list("plan", "occasion_key")) == [(busy.pk, "sessions:3")]
    # The first run ever counts every plan, so a fresh practice is not left waiting.
    assert scheduling.run_for_practice(practice, practice.today()).sent == 1
    assert ScheduledQuestionnaire.objects.filter(plan=quiet, occasion_key="sessions:3").exists()
