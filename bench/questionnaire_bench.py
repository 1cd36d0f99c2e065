"""The daily questionnaire run (participation.scheduling) over a practice's active plans, with EXPLAIN.

Run by scheduler_bench on the practice it built for the review scan (10,000 and 100,000 active
plans). The state the run reads is written in SQL, with the scratch database's triggers off for
this session (`session_replication_role = replica`: the change-history triggers would triple the
time and nothing here reads the history): per plan one open review, a past questionnaire answered,
0–8 attended sessions since the plan became active; a fixed number of reviews due within the lead
window, of links halfway through their life (reminders due) and of plans newly past six sessions, so
that both practice sizes do the same work and only what they scan differs.
"""

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from bench.explain import explain, index_verdict, print_plan
from bench.report import Table, p50, timed

DUE_REVIEWS = 200
REMINDERS = 200
NEW_SESSION_OCCASIONS = 100  # plans below this number reach six sessions with no questionnaire for it yet
EVERY = 6
# Plans below this number had their latest session recorded today; the rest, on the session's day.
RECENT_SESSIONS = 300
BIG_TABLES = [
    "plans_progressreview",
    "plans_treatmentplan",
    "clients_client",
    "notes_therapysession",
    "participation_clientlink",
    "participation_scheduledquestionnaire",
]


def populate(practice, user, today: dt.date) -> None:
    from notes.models import ServiceType

    now = timezone.now()
    service_type = ServiceType.objects.order_by("pk").values_list("pk", flat=True).first()
    args = {
        "p": practice.pk,
        "today": today,
        "now": now,
        "user": user.pk,
        "st": service_type,
        "every": EVERY,
        "due": DUE_REVIEWS,
        "reminders": REMINDERS,
        "new": NEW_SESSION_OCCASIONS,
        "recent": RECENT_SESSIONS,
    }
    statements = [
        # Scratch database only: no triggers (history, append-only guards) for this session.
        "SET session_replication_role = replica",
        "UPDATE accounts_practice SET scheduled_questionnaires = true, questionnaires_every_sessions = "
        "%(every)s, client_default_measures = '[\"phq9\"]', client_link_days = 7 WHERE id = %(p)s",
        "UPDATE clients_client SET contact_consent_on = %(today)s, email = 'client' || id || '@example.test'"
        " WHERE practice_id = %(p)s",
        "UPDATE plans_treatmentplan SET activated_at = %(now)s - interval '200 days' WHERE practice_id = %(p)s",
        "DROP TABLE IF EXISTS bench_plans",
        "CREATE TEMP TABLE bench_plans AS SELECT id, client_id, (row_number() OVER (ORDER BY id) - 1)::int AS n"
        " FROM plans_treatmentplan WHERE practice_id = %(p)s",
        # One open review per plan, a fixed number within the lead window.
        "INSERT INTO plans_progressreview (plan_id, due_date, status, created_at, alliance_note, summary, decision,"
        " ccrt_judgement, ccrt_response_of_other, ccrt_response_of_self, ccrt_wish)"
        " SELECT id, CASE WHEN n < %(due)s THEN %(today)s + mod(n, 7) ELSE %(today)s + 30 + mod(n, 60) END,"
        " 'scheduled', %(now)s, '', '', '', '', '', '', '' FROM bench_plans",
        # 0–8 attended sessions per client since the plan became active.
        "INSERT INTO notes_therapysession (client_id, plan_id, clinician_id, starts_at, timezone, duration_minutes,"
        " modality, attendance, reason, created_at, updated_at, version, service_type_id)"
        " SELECT b.client_id, b.id, %(user)s, %(now)s - g * interval '7 days', 'UTC', 50, 'in_person', 'attended',"
        " '', %(now)s - g * interval '7 days',"
        " CASE WHEN b.n < %(recent)s AND g = 1 THEN %(now)s ELSE %(now)s - g * interval '7 days' END, 1, %(st)s"
        " FROM bench_plans b, generate_series(1, mod(b.n, 9)) g",
        # A questionnaire before an earlier review, answered: every plan.
        "WITH l AS (INSERT INTO participation_clientlink (client_id, plan_id, purpose, measure_codes, token_hash,"
        " delivery, status, expires_at, failed_attempts, created_at, sent_at, done_at, created_by_id, decline_comment)"
        " SELECT client_id, id, 'questionnaires', '[\"phq9\"]', encode(sha256(('past' || id)::bytea), 'hex'),"
        " 'email', 'done', %(now)s - interval '83 days', 0, %(now)s - interval '90 days',"
        " %(now)s - interval '90 days', %(now)s - interval '88 days', %(user)s, ''"
        " FROM bench_plans RETURNING id, plan_id)"
        " INSERT INTO participation_scheduledquestionnaire (plan_id, link_id, occasion, occasion_key, created_at)"
        " SELECT plan_id, id, 'review', 'review:past', %(now)s - interval '90 days' FROM l",
        # Six sessions reached and asked for already, except for the first few plans.
        "WITH l AS (INSERT INTO participation_clientlink (client_id, plan_id, purpose, measure_codes, token_hash,"
        " delivery, status, expires_at, failed_attempts, created_at, sent_at, done_at, created_by_id, decline_comment)"
        " SELECT client_id, id, 'questionnaires', '[\"phq9\"]', encode(sha256(('six' || id)::bytea), 'hex'),"
        " 'email', 'done', %(now)s - interval '3 days', 0, %(now)s - interval '10 days',"
        " %(now)s - interval '10 days', %(now)s - interval '9 days', %(user)s, ''"
        " FROM bench_plans WHERE mod(n, 9) >= %(every)s AND n >= %(new)s RETURNING id, plan_id)"
        " INSERT INTO participation_scheduledquestionnaire (plan_id, link_id, occasion, occasion_key, created_at)"
        " SELECT plan_id, id, 'sessions', 'sessions:' || %(every)s, %(now)s - interval '10 days' FROM l",
        # Sent four days ago for seven days, unanswered: the reminder is due.
        "WITH l AS (INSERT INTO participation_clientlink (client_id, plan_id, purpose, measure_codes, token_hash,"
        " delivery, status, expires_at, failed_attempts, created_at, sent_at, done_at, created_by_id, decline_comment)"
        " SELECT client_id, id, 'questionnaires', '[\"phq9\"]', encode(sha256(('open' || id)::bytea), 'hex'),"
        " 'email', 'open', %(now)s + interval '3 days', 0, %(now)s - interval '4 days',"
        " %(now)s - interval '4 days', NULL, %(user)s, '' FROM bench_plans"
        " WHERE n >= %(due)s AND n < %(due)s + %(reminders)s RETURNING id, plan_id)"
        " INSERT INTO participation_scheduledquestionnaire (plan_id, link_id, occasion, occasion_key, created_at)"
        " SELECT plan_id, id, 'review', 'review:open', %(now)s - interval '4 days' FROM l",
        # Never answered, long expired (the status stays open): one plan in ten.
        "WITH l AS (INSERT INTO participation_clientlink (client_id, plan_id, purpose, measure_codes, token_hash,"
        " delivery, status, expires_at, failed_attempts, created_at, sent_at, done_at, created_by_id, decline_comment)"
        " SELECT client_id, id, 'questionnaires', '[\"phq9\"]', encode(sha256(('lapsed' || id)::bytea), 'hex'),"
        " 'email', 'open', %(now)s - interval '173 days', 0, %(now)s - interval '180 days',"
        " %(now)s - interval '180 days', NULL, %(user)s, ''"
        " FROM bench_plans WHERE mod(n, 10) = 0 RETURNING id, plan_id)"
        " INSERT INTO participation_scheduledquestionnaire (plan_id, link_id, occasion, occasion_key, created_at)"
        " SELECT plan_id, id, 'review', 'review:lapsed', %(now)s - interval '180 days' FROM l",
        "SET session_replication_role = DEFAULT",
        "ANALYZE",
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, args)


def _queries(practice, today: dt.date, now: dt.datetime):
    from django.conf import settings

    from participation import scheduling

    lead = settings.CLIENT_MEASURES_LEAD_DAYS
    since = now - dt.timedelta(days=2)
    plans = list(scheduling.plans_by_sessions(practice, EVERY, now, changed_since=since).values_list("pk", "attended"))
    keys = {pk: f"sessions:{attended // EVERY * EVERY}" for pk, attended in plans}
    return {
        "reviews_due": scheduling.reviews_due(practice, today, lead),
        "clients_with_sessions_saved (since yesterday)": scheduling.clients_with_sessions_saved(practice, since),
        "plans_by_sessions (first run: every plan)": scheduling.plans_by_sessions(practice, EVERY, now),
        "plans_by_sessions (sessions saved since yesterday)": scheduling.plans_by_sessions(
            practice, EVERY, now, changed_since=now - dt.timedelta(days=2)
        ),
        "occasions_recorded": scheduling.occasions_recorded(keys),
        "plans_with_open_link": scheduling.plans_with_open_link(list(keys), now),
        "awaiting_reminder": scheduling.awaiting_reminder(practice, now),
    }


def measure(practice, today: dt.date) -> dict:
    """Each query's p50 and plan, and one full run (rolled back)."""
    from participation import scheduling

    practice.refresh_from_db()
    now = timezone.now()
    out = {"queries": {}, "plans": {}}
    for name, queryset in _queries(practice, today, now).items():
        out["queries"][name] = (p50(timed(lambda q=queryset: list(q.all()), 5)), len(queryset.all()))
        out["plans"][name] = explain(queryset)
    with transaction.atomic():
        started = timezone.now()
        result = scheduling.run_for_practice(practice, today, sessions_changed_since=now - dt.timedelta(days=2))
        out["run"] = ((timezone.now() - started).total_seconds(), result)
        transaction.set_rollback(True)
    return out


def report(table: Table, results: dict[int, dict]) -> None:
    small, big = results[10_000], results[100_000]
    for name, (t_big, n_big) in big["queries"].items():
        t_small, n_small = small["queries"][name]
        table.add(
            f"Questionnaire run: {name}, 100k vs 10k active plans",
            t_big / t_small,
            "(scan of active plans)" if "first run" in name else "barely > 1×",
            f"{t_big * 1000:.1f} ms vs {t_small * 1000:.1f} ms ({n_big} vs {n_small} rows); "
            f"index used: {index_verdict(big['plans'][name], BIG_TABLES)}",
        )
    (run_big, res_big), (run_small, _) = big["run"], small["run"]
    table.add(
        "Questionnaire run, whole (links + reminders, sessions since yesterday), 100k vs 10k",
        run_big / run_small,
        "(reference)",
        f"{run_big:.2f} s vs {run_small:.2f} s; {res_big.sent} sent, {res_big.reminded} reminded",
    )
    for name, lines in big["plans"].items():
        print_plan(f"questionnaire run query {name} over 100,000 active plans", lines)
