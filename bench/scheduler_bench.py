"""The daily review scan and questionnaire run over 10,000 and 100,000 active plans, with EXPLAIN."""

import datetime as dt

from django.db import connection, transaction

from bench.report import Table, p50, timed


def _populate(total: int, due: int):
    from accounts.models import Membership, Practice, User
    from clients.models import Client
    from plans.models import TreatmentPlan

    practice = Practice.objects.create(name=f"Scan {total}", timezone="UTC")
    user = User.objects.create_user(f"scan{total}@example.test", None, given_name="Scan", family_name=str(total))
    Membership.objects.create(user=user, practice=practice, is_clinician=True)
    today = practice.today()
    with transaction.atomic():
        clients = Client.objects.bulk_create(
            (
                Client(
                    practice=practice,
                    chart_number=f"X{i}",
                    given_name="S",
                    family_name="S",
                    date_of_birth=dt.date(1980, 1, 1),
                    primary_clinician=user,
                    intake_date=today,
                )
                for i in range(total)
            ),
            batch_size=5000,
        )
        plans = TreatmentPlan.objects.bulk_create(
            (
                TreatmentPlan(
                    client=c,
                    practice=practice,
                    author=user,
                    start_date=today,
                    status=TreatmentPlan.Status.ACTIVE,
                    # 1,000 fall within the 14-day window; the rest are months away.
                    next_review_date=today + dt.timedelta(days=(i % 14) if i < due else 30 + i % 60),
                )
                for i, c in enumerate(clients)
            ),
            batch_size=5000,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return practice, user, today, len(plans)


def _scan(practice, today):
    from progress import scheduling

    return list(scheduling.due_plans(practice.pk, today, 14))


def run(table: Table) -> None:
    from bench import questionnaire_bench
    from progress import scheduling
    from progress.models import ProgressReview

    results = {}
    questionnaires = {}
    for total in (10_000, 100_000):
        practice, user, today, _ = _populate(total, 1000)
        assert len(_scan(practice, today)) == 1000
        query = timed(lambda p=practice, t=today: _scan(p, t), 15)
        with transaction.atomic():
            full = timed(lambda p=practice, t=today: scheduling.run_for_practice(p, t), 1)[0]
            created = ProgressReview.objects.filter(plan__client__practice=practice).count()
            transaction.set_rollback(True)
        results[total] = (p50(query), full, created)
        if total == 100_000:
            sql, params = scheduling.due_plans(practice.pk, today, 14).query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(
                    ("EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN ") + sql, params
                )
                plan_lines = [" ".join(str(c) for c in row) for row in cursor.fetchall()]
        questionnaire_bench.populate(practice, user, today)
        questionnaires[total] = questionnaire_bench.measure(practice, today)
    uses_index = any("plan_active_review_by_practice" in line for line in plan_lines)
    table.add(
        "Review scan query, 100,000 vs 10,000 active plans (1,000 due)",
        results[100_000][0] / results[10_000][0],
        "barely > 1×",
        f"{results[100_000][0] * 1000:.1f} ms vs {results[10_000][0] * 1000:.1f} ms; "
        f"index used: {'yes' if uses_index else 'NO'}",
    )
    table.add(
        "Full daily run (create 1,000 reviews, notify), 100k vs 10k",
        results[100_000][1] / results[10_000][1],
        "(reference)",
        f"{results[100_000][1]:.2f} s vs {results[10_000][1]:.2f} s; {results[100_000][2]} reviews created",
    )
    print("\nEXPLAIN of the due-plan query over 100,000 active plans:")
    for line in plan_lines:
        print("   ", line)
    questionnaire_bench.report(table, questionnaires)
