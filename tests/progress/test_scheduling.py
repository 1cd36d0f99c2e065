"""Twelve months of daily scheduler runs under a mocked clock, and the scheduler on a real worker."""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from accounts.models import Notification
from plans.discharge import discharge_client_and_close_plans
from plans.lifecycle import transitions
from plans.models import TreatmentPlan
from progress import scheduling
from progress.models import ProgressReview, ReviewSchedulerRun
from tests.conftest import wait_for
from tests.factories import ClientFactory, complete_review_continuing, make_plan

NY = zoneinfo.ZoneInfo("America/New_York")


def _complete(actor, review):
    return complete_review_continuing(actor, review)


def test_a_year_of_daily_runs_schedules_four_reviews_marks_them_and_escalates_once(
    clinician, supervisor, colleague, practice, django_capture_on_commit_callbacks
):
    start = dt.datetime(2026, 11, 30, 15, 0, tzinfo=NY)  # a month-end activation
    with time_machine.travel(start, tick=False) as clock:
        plan = transitions.submit_plan(actor=clinician, plan=make_plan(ClientFactory(primary_clinician=clinician)))
        assert plan.next_review_date == dt.date(2027, 2, 28)
        # Plans that must never get a review.
        closed = transitions.submit_plan(actor=colleague, plan=make_plan(ClientFactory(primary_clinician=colleague)))
        transitions.close_plan(actor=colleague, plan=closed, reason="Ended")
        old = transitions.submit_plan(actor=colleague, plan=make_plan(ClientFactory(primary_clinician=colleague)))
        transitions.submit_plan(actor=colleague, plan=transitions.amend_plan(actor=colleague, plan=old))
        discharged = transitions.submit_plan(
            actor=colleague, plan=make_plan(ClientFactory(primary_clinician=colleague))
        )
        discharge_client_and_close_plans(
            actor=colleague, client=discharged.client, discharged_on=start.date(), reason="Moved away"
        )

        first_seen: dict[tuple[int, str], dt.date] = {}
        day, end = start.date(), dt.date(2027, 11, 29)
        while day <= end:
            clock.move_to(dt.datetime.combine(day, dt.time(7, 0), NY))
            with django_capture_on_commit_callbacks(execute=True):
                scheduling.run_for_practice(practice, day)
            second = scheduling.run_for_practice(practice, day)
            assert second == scheduling.SchedulerResult(), f"second run on {day} changed something: {second}"
            for review in ProgressReview.objects.filter(plan__lineage=plan.lineage):
                first_seen.setdefault((review.pk, review.status), day)
            clock.move_to(dt.datetime.combine(day, dt.time(15, 0), NY))
            for review in ProgressReview.objects.open().filter(plan=plan):
                # The clinician completes reviews on their due date, except the second, done 13 days late.
                late = review.due_date == dt.date(2027, 5, 28)
                if day == review.due_date + dt.timedelta(days=13 if late else 0):
                    _complete(clinician, review)
            day += dt.timedelta(days=1)

    reviews = list(ProgressReview.objects.filter(plan=plan).order_by("due_date"))
    assert [r.due_date for r in reviews] == [
        dt.date(2027, 2, 28),  # 30 Nov + 3 months, clamped to February's end
        dt.date(2027, 5, 28),  # 3 months after completion on 28 Feb
        dt.date(2027, 9, 10),  # 3 months after the late completion on 10 Jun
        dt.date(2027, 12, 10),  # scheduled 14 days ahead, on 26 Nov
    ]
    created = {r.due_date: first_seen[(r.pk, "scheduled")] for r in reviews}
    assert all(created[due] == due - dt.timedelta(days=14) for due in created)
    second = reviews[1]
    assert first_seen[(second.pk, "due")] == dt.date(2027, 5, 28)
    assert first_seen[(second.pk, "overdue")] == dt.date(2027, 6, 5)
    assert not any((r.pk, "overdue") in first_seen for r in reviews if r.pk != second.pk)
    escalations = Notification.objects.filter(verb="a plan review is overdue")
    assert [n.recipient for n in escalations] == [supervisor]
    assert Notification.objects.filter(recipient=clinician, verb="a plan review is coming up").count() == 4
    assert [r.status for r in reviews] == ["completed", "completed", "completed", "scheduled"]
    never = [closed, old, discharged]
    assert {p.status for p in TreatmentPlan.objects.filter(pk__in=[p.pk for p in never])} == {"closed", "superseded"}
    assert not ProgressReview.objects.filter(plan__in=never).exists()


def test_scheduler_respects_each_practices_local_time(practice, other_practice, settings):
    settings.REVIEW_SCHEDULER_TIME = "06:00"
    # 10:30 UTC is 05:30 in New York (not yet) and 11:30 in Berlin (ready).
    with time_machine.travel(dt.datetime(2027, 1, 15, 10, 30, tzinfo=dt.UTC), tick=False):
        ready = {p.name: day for p, day in scheduling.practices_ready()}
    assert ready == {"Elsewhere": dt.date(2027, 1, 15)}


def test_scheduler_query_uses_one_query_for_the_due_plans(clinician, practice, django_assert_max_num_queries):
    for _ in range(5):
        transitions.submit_plan(actor=clinician, plan=make_plan(ClientFactory(primary_clinician=clinician)))
    far = practice.today() + dt.timedelta(days=200)
    with django_assert_max_num_queries(1):
        due = list(scheduling.due_plans(practice.pk, far, 14))
    assert len(due) == 5


@pytest.mark.celery_worker
def test_scheduler_task_runs_through_a_real_worker_once_per_day(
    celery_worker_app, transactional_db, clinician, practice
):
    from progress.tasks import schedule_practice_reviews

    plan = transitions.submit_plan(actor=clinician, plan=make_plan(ClientFactory(primary_clinician=clinician)))
    run_date = plan.next_review_date - dt.timedelta(days=3)
    schedule_practice_reviews.delay(practice.pk, run_date.isoformat())
    schedule_practice_reviews.delay(practice.pk, run_date.isoformat())
    wait_for(lambda: ReviewSchedulerRun.objects.filter(practice=practice, finished_at__isnull=False).exists())
    run = ReviewSchedulerRun.objects.get(practice=practice, run_date=run_date)
    assert run.created == 1
    assert ProgressReview.objects.filter(plan=plan).count() == 1
