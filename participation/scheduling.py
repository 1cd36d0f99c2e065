"""The daily questionnaire run (issue 15): the client answers their measures before each review.

For each practice that has scheduled questionnaires on, on its own calendar day:
- every active plan with an open progress review due within `CLIENT_MEASURES_LEAD_DAYS` gets one
  questionnaire link for that review, emailed through the outbox;
- with "also every N attended sessions" set, a plan whose client has attended another N sessions
  since the plan became active gets one too (unless a scheduled link of the plan is still open:
  one questionnaire at a time);
- a link still open and unanswered halfway through its life gets its one reminder.

Idempotent: each occasion (the review, or the session count) is unique per plan in
ScheduledQuestionnaire and each reminder is stamped when queued, so running it twice, or in two
beats at once, sends nothing twice. Everything goes out through `core.outbox.enqueue` in the
transaction that records it: with the broker down the rows wait in the outbox and the relay sends
them later, and the next run, finding the occasions recorded, adds nothing.

It runs after the review scheduler (`CLIENT_MEASURES_SCHEDULER_TIME`, later than
`REVIEW_SCHEDULER_TIME`), so the reviews it looks for have been created that morning.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts import daily_runs
from accounts.models import Practice
from clients.models import Client
from notes.models import TherapySession
from participation import services
from participation.models import ClientLink, QuestionnaireSchedulerRun, ScheduledQuestionnaire
from plans.models import TreatmentPlan
from progress.models import ProgressReview

# A link for a review due tomorrow, or one already overdue, still gets at least this long.
MIN_LINK_DAYS = 2
# How far before the last run's start "every N sessions" looks again for sessions saved.
SESSIONS_MARGIN = dt.timedelta(days=1)


@dataclass
class QuestionnaireRunResult:
    sent: int = 0
    reminded: int = 0
    skipped_no_contact: int = 0


def review_expiry(practice: Practice, review: ProgressReview, now: dt.datetime) -> dt.datetime:
    """Until the end of the review's day, where the answers are wanted, but never longer than the
    practice's link days (a setting admins expect to hold for every link) nor shorter than two days
    (a review due tomorrow, or already overdue, still waits for its answers: the clinician may
    complete it a little late)."""
    end_of_review_day = dt.datetime.combine(review.due_date + dt.timedelta(days=1), dt.time.min, practice.tzinfo)
    longest = now + dt.timedelta(days=practice.client_link_days)
    return min(longest, max(end_of_review_day, now + dt.timedelta(days=MIN_LINK_DAYS)))


def reviews_due(practice: Practice, today: dt.date, lead_days: int):
    """Open reviews of the practice's active plans due within the lead window and not yet asked for."""
    asked = ScheduledQuestionnaire.objects.filter(review=OuterRef("pk"))
    return (
        ProgressReview.objects.open()
        .filter(
            plan__practice_id=practice.pk,
            plan__status=TreatmentPlan.Status.ACTIVE,
            # Said again of the client (a plan's practice is its client's) so that the planner reads
            # the practice's clients through their index rather than every client of every practice.
            plan__client__practice_id=practice.pk,
            plan__client__status=Client.Status.ACTIVE,
            due_date__lte=today + dt.timedelta(days=lead_days),
        )
        .exclude(Exists(asked))
        .select_related("plan__client__practice")
        .order_by("due_date", "pk")
    )


def _reachable_client(client: Client) -> bool:
    return client.has_contact_consent and bool(client.email)


def _schedule_reviews(practice: Practice, today: dt.date, lead: int, now, result: QuestionnaireRunResult) -> None:
    # A list, not a server-side cursor: the window holds a few days' reviews, and links are made
    # in their own transactions while it is read.
    for review in list(reviews_due(practice, today, lead)):
        plan = review.plan
        if not _reachable_client(plan.client):
            result.skipped_no_contact += 1
            continue
        scheduled = services.create_scheduled_link(
            plan=plan,
            review=review,
            occasion=ScheduledQuestionnaire.Occasion.REVIEW,
            occasion_key=f"review:{review.pk}",
            codes=services.scheduled_measure_codes(plan),
            expires_at=review_expiry(practice, review, now),
        )
        result.sent += scheduled is not None


def clients_with_sessions_saved(practice: Practice, since: dt.datetime):
    """The practice's clients with an attended session recorded or changed since then."""
    return (
        TherapySession.objects.filter(
            client__practice_id=practice.pk, attendance=TherapySession.Attendance.ATTENDED, updated_at__gte=since
        )
        .order_by()
        .values_list("client_id", flat=True)
    )


def plans_by_sessions(practice: Practice, every: int, now: dt.datetime, *, changed_since: dt.datetime | None = None):
    """Active plans of the practice with the attended sessions of their client since the plan became
    active, where that count has reached another multiple of `every`.

    With `changed_since`, only plans whose client has an attended session recorded or changed since
    then: a count reaches another multiple only when such a session is saved, so the daily run reads
    the day's sessions instead of counting every active plan's (the first run counts them all)."""
    attended = (
        TherapySession.objects.filter(
            client=OuterRef("client"),
            attendance=TherapySession.Attendance.ATTENDED,
            starts_at__gte=OuterRef("activated_at"),
            starts_at__lte=now,
        )
        .order_by()
        .values("client")
        .annotate(n=Count("pk"))
        .values("n")
    )
    plans = TreatmentPlan.objects.filter(
        practice_id=practice.pk,
        status=TreatmentPlan.Status.ACTIVE,
        client__practice_id=practice.pk,
        client__status=Client.Status.ACTIVE,
        activated_at__isnull=False,
    )
    if changed_since is not None:
        # Read first, as a list: a few clients a day, found through the index on attended sessions by
        # their last change, whatever the planner would guess of a subquery against every plan.
        plans = plans.filter(client_id__in=set(clients_with_sessions_saved(practice, changed_since)))
    return (
        plans.annotate(attended=Coalesce(Subquery(attended, output_field=IntegerField()), Value(0)))
        .filter(attended__gte=every)
        .select_related("client__practice")
        .order_by("pk")
    )


def occasions_recorded(keys: dict[int, str]):
    """Of these (plan, occasion key) pairs, the ones already scheduled."""
    return ScheduledQuestionnaire.objects.filter(plan__in=list(keys), occasion_key__in=set(keys.values())).order_by()


def plans_with_open_link(plan_ids: list[int], now: dt.datetime):
    """Scheduled links of these plans still open and unexpired (one questionnaire at a time)."""
    return ScheduledQuestionnaire.objects.filter(
        plan__in=plan_ids, link__status=ClientLink.Status.OPEN, link__expires_at__gt=now
    ).order_by()


def _schedule_sessions(practice: Practice, every: int, now, changed_since, result: QuestionnaireRunResult) -> None:
    plans = list(plans_by_sessions(practice, every, now, changed_since=changed_since))
    keys = {plan.pk: f"sessions:{plan.attended // every * every}" for plan in plans}
    done = set(occasions_recorded(keys).values_list("plan_id", "occasion_key"))
    still_open = set(plans_with_open_link(list(keys), now).values_list("plan_id", flat=True))
    for plan in plans:
        if (plan.pk, keys[plan.pk]) in done or plan.pk in still_open:
            continue
        if not _reachable_client(plan.client):
            result.skipped_no_contact += 1
            continue
        scheduled = services.create_scheduled_link(
            plan=plan,
            occasion=ScheduledQuestionnaire.Occasion.SESSIONS,
            occasion_key=keys[plan.pk],
            codes=services.scheduled_measure_codes(plan),
            expires_at=now + dt.timedelta(days=practice.client_link_days),
        )
        result.sent += scheduled is not None


def awaiting_reminder(practice: Practice, now: dt.datetime):
    """The practice's scheduled links sent, still open and unexpired, and not yet reminded."""
    return (
        ScheduledQuestionnaire.objects.filter(
            plan__practice_id=practice.pk,
            reminder_queued_at__isnull=True,
            link__status=ClientLink.Status.OPEN,
            link__sent_at__isnull=False,
            link__expires_at__gt=now,
        )
        .select_related("link")
        .order_by()
    )


def _remind(practice: Practice, now: dt.datetime, result: QuestionnaireRunResult) -> None:
    for scheduled in awaiting_reminder(practice, now):
        if services.reminder_due(scheduled, now):
            result.reminded += services.queue_reminder(scheduled_id=scheduled.pk, now=now)


def run_for_practice(
    practice: Practice,
    today: dt.date,
    *,
    lead_days: int | None = None,
    sessions_changed_since: dt.datetime | None = None,
) -> QuestionnaireRunResult:
    """One practice's run. `sessions_changed_since` (the last finished run's start, less a margin)
    limits "every N sessions" to clients with sessions saved since; None counts every active plan."""
    lead = settings.CLIENT_MEASURES_LEAD_DAYS if lead_days is None else lead_days
    now = timezone.now()
    result = QuestionnaireRunResult()
    if practice.scheduled_questionnaires:
        _schedule_reviews(practice, today, lead, now, result)
        if practice.questionnaires_every_sessions:
            _schedule_sessions(practice, practice.questionnaires_every_sessions, now, sessions_changed_since, result)
    # Links already sent keep their reminder even if the practice has just switched scheduling off.
    _remind(practice, now, result)
    return result


def practices_ready(now: dt.datetime | None = None) -> list[tuple[Practice, dt.date]]:
    """Practices whose local clock has passed today's run time and whose run for today is not finished."""
    return daily_runs.practices_ready(
        run_time=settings.CLIENT_MEASURES_SCHEDULER_TIME, runs=QuestionnaireSchedulerRun.objects.all(), now=now
    )


def run_recorded(practice: Practice, run_date: dt.date) -> QuestionnaireRunResult | None:
    """Run once for one practice and day; a run left unfinished by a dead worker is redone (which
    sends nothing twice, the occasions being recorded)."""
    run, _ = QuestionnaireSchedulerRun.objects.get_or_create(practice=practice, run_date=run_date)
    if run.finished_at is not None:
        return None
    previous = (
        QuestionnaireSchedulerRun.objects.filter(practice=practice, finished_at__isnull=False, run_date__lt=run_date)
        .order_by("-run_date")
        .values_list("started_at", flat=True)
        .first()
    )
    # The margin covers a session saved in a transaction that began before the last run and committed
    # after it had read; reading a day twice sends nothing twice (the occasions are recorded).
    changed_since = previous - SESSIONS_MARGIN if previous is not None else None
    result = run_for_practice(practice, run_date, sessions_changed_since=changed_since)
    QuestionnaireSchedulerRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(),
        sent=result.sent,
        reminded=result.reminded,
        skipped_no_contact=result.skipped_no_contact,
    )
    return result
