"""The admin's audit page and its CSV over 10,000 and then 1,000,000 access-log rows, with EXPLAIN.

The rows are written in SQL (INSERT … SELECT generate_series), not through `audit.log.record`:
a million HMAC appends under the chain lock would take the best part of an hour. So the chain of
these rows does not verify (each `prev_hash` is the genesis value, each `hash` a plain SHA-256 of a
counter) — nothing here reads it. Inserting is all the table allows and all this does; its
append-only guards stay on. The rows are plausible: 88% the bench practice's own staff reading and
signing their clients' records over two years, 9% another practice's own traffic, 2% that practice's
staff refused on this practice's records, 1% failed sign-ins of nobody's practice.

Measured through the whole stack (test client, every middleware): the first page at 10,000 rows
and at 1,000,000; the first page filtered by client and by person; the page after following
"Older" 50 times against the first; the CSV of one week and of four weeks (rows per second, and the
peak of Python's allocations while it streams, which must not grow with the rows).
"""

import datetime as dt
import re
import time
import tracemalloc

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench import data
from bench.explain import print_plan
from bench.report import Table, p50, timed

STAFF = 20
CLIENTS = 2000
REPEAT = 10


def _cast():
    from accounts.models import Membership, User
    from clients.models import Client as ClientRecord

    practice, clinician, admin = data.practice_with_staff()
    practice.require_two_factor_for_admins = False
    practice.save(update_fields=["require_two_factor_for_admins"])
    other, outsider, _ = data.practice_with_staff()
    staff = [clinician]
    for i in range(STAFF - 1):
        user = User.objects.create_user(
            f"audit{practice.pk}.staff{i}@example.test", None, given_name="Staff", family_name=str(i)
        )
        Membership.objects.create(user=user, practice=practice, is_clinician=True)
        staff.append(user)
    today = practice.today()
    clients = ClientRecord.objects.bulk_create(
        ClientRecord(
            practice=practice,
            chart_number=f"A{i:05d}",
            given_name="Audit",
            family_name=f"Client{i}",
            date_of_birth=dt.date(1980, 1, 1),
            primary_clinician=staff[i % STAFF],
            intake_date=today,
        )
        for i in range(CLIENTS)
    )
    return {
        "practice": practice.pk,
        "other": other.pk,
        "admin": admin,
        "staff_ids": [u.pk for u in staff],
        "staff_emails": [u.email for u in staff],
        "outsider": outsider,
        "client_ids": [c.pk for c in clients],
    }


_INSERT = """
INSERT INTO accounts_accesslog (at, actor_id, actor_email, practice_id, subject_practice_id, action, outcome,
    object_type, object_id, client_id, ip, user_agent, detail, prev_hash, hash)
SELECT
    %(now)s - g * interval '1 minute' - mod(g * 7919, 60) * interval '1 second',
    CASE WHEN k < 88 THEN (%(staff_ids)s::bigint[])[1 + mod(h2, %(nstaff)s)]
         WHEN k < 99 THEN %(outsider)s END,
    CASE WHEN k < 88 THEN (%(staff_emails)s::text[])[1 + mod(h2, %(nstaff)s)]
         WHEN k < 99 THEN %(outsider_email)s ELSE 'nobody' || mod(g, 97) || '@example.test' END,
    CASE WHEN k < 88 THEN %(practice)s WHEN k < 99 THEN %(other)s END,
    CASE WHEN k < 88 THEN %(practice)s WHEN k < 97 THEN %(other)s WHEN k < 99 THEN %(practice)s END,
    CASE WHEN k = 99 THEN 'login_failed' WHEN k < 88 AND mod(g, 13) = 0 THEN 'sign'
         WHEN k < 88 AND mod(g, 17) = 0 THEN 'pdf_download' ELSE 'read' END,
    CASE WHEN k IN (97, 98) THEN 'denied' WHEN k = 99 THEN 'failed' ELSE 'ok' END,
    CASE WHEN k = 99 THEN '' WHEN mod(g, 3) = 0 THEN 'plan' ELSE 'client' END,
    CASE WHEN k = 99 THEN '' ELSE (mod(g, 50000) + 1)::text END,
    CASE WHEN k < 88 OR k IN (97, 98) THEN (%(client_ids)s::bigint[])[1 + mod(h3, %(nclients)s)]
         WHEN k < 97 THEN 900000 + mod(g, 5000) END,
    ('10.0.' || mod(g, 250) || '.' || mod(g / 250, 250))::inet,
    'Mozilla/5.0 (X11; Linux x86_64) bench',
    CASE WHEN k = 99 THEN '' ELSE 'clients:detail' END,
    repeat('0', 64),
    encode(sha256(('bench-audit:' || g)::bytea), 'hex')
FROM (
    -- Independent pseudo-random draws per row (plain mod arithmetic on g would tie client to kind).
    SELECT g, mod(hashint8(g) + 2147483648, 100) AS k, hashint8(g + 1000003) + 2147483648 AS h2,
        hashint8(g * 3 + 7) + 2147483648 AS h3
    FROM generate_series(%(start)s::bigint, %(stop)s::bigint) g
) s
"""


def populate(cast: dict, start: int, stop: int) -> None:
    """Rows g = start…stop, g minutes before now (so rows added later are older)."""
    args = {
        **{k: cast[k] for k in ("practice", "other", "staff_ids", "staff_emails", "client_ids")},
        "now": timezone.now() - dt.timedelta(minutes=1),
        "nstaff": len(cast["staff_ids"]),
        "nclients": len(cast["client_ids"]),
        "outsider": cast["outsider"].pk,
        "outsider_email": cast["outsider"].email,
        "start": start,
        "stop": stop,
    }
    step = 200_000
    for low in range(start, stop + 1, step):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_INSERT, {**args, "start": low, "stop": min(stop, low + step - 1)})
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE accounts_accesslog")


def _older(response) -> str | None:
    match = re.search(rb'href="\?([^"]*after=\d+)" rel="next"', response.content)
    return match.group(1).decode().replace("&amp;", "&") if match else None


def _page_query(web, url: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as ctx:
        assert web.get(url).status_code == 200
    page = [q["sql"] for q in ctx.captured_queries if "accounts_accesslog" in q["sql"] and "LIMIT 101" in q["sql"]]
    return page[-1], len(ctx.captured_queries)


def _explain(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, SUMMARY ON) " + sql)
        return [row[0] for row in cursor.fetchall()]


def _csv(web, url: str) -> tuple[float, int, int]:
    """Seconds, rows, and peak traced bytes (a second pass: tracing slows the first)."""
    started = time.perf_counter()
    response = web.get(url)
    rows = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1
    seconds = time.perf_counter() - started
    tracemalloc.start()
    response = web.get(url)
    for _ in response.streaming_content:
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, rows, peak


def _measure(web, cast: dict, *, deep: bool) -> dict:
    client_id, user_id = cast["client_ids"][7], cast["staff_ids"][3]
    urls = {
        "first": "/accounts/audit/",
        "client": f"/accounts/audit/?client={client_id}",
        "user": f"/accounts/audit/?user={user_id}",
    }
    out = {}
    for name, url in urls.items():
        response = web.get(url)
        assert response.status_code == 200, (url, response.status_code, response.get("Location"))
        out[name] = p50(timed(lambda u=url: web.get(u), REPEAT))
        out[f"{name}_sql"], out[f"{name}_queries"] = _page_query(web, url)
    if deep:
        url = urls["first"]
        for _ in range(50):
            url = "/accounts/audit/?" + _older(web.get(url))
        out["deep_url"] = url
        out["deep"] = p50(timed(lambda: web.get(url), REPEAT))
        out["deep_sql"], out["deep_queries"] = _page_query(web, url)
    return out


def run(table: Table) -> None:
    from django.test import override_settings

    cast = _cast()
    with override_settings(ALLOWED_HOSTS=["*"]):
        web = Client()
        web.force_login(cast["admin"])
        populate(cast, 1, 10_000)
        small = _measure(web, cast, deep=False)
        t0 = time.perf_counter()
        populate(cast, 10_001, 1_000_000)
        filled = time.perf_counter() - t0
        big = _measure(web, cast, deep=True)
        today = timezone.localdate()
        week = f"/accounts/audit/?date_from={today - dt.timedelta(days=8)}&date_to={today - dt.timedelta(days=2)}"
        month = f"/accounts/audit/?date_from={today - dt.timedelta(days=29)}&date_to={today - dt.timedelta(days=2)}"
        csv_week = _csv(web, week + "&format=csv")
        csv_month = _csv(web, month + "&format=csv")
    for name, label in (("first", "first page"), ("client", "by client"), ("user", "by person")):
        table.add(
            f"Audit page {label}, 1,000,000 vs 10,000 rows (p50)",
            big[name] / small[name],
            "≤ 1.2× (constant)",
            f"{big[name] * 1000:.1f} ms vs {small[name] * 1000:.1f} ms; "
            f"queries {big[f'{name}_queries']} vs {small[f'{name}_queries']}",
        )
    table.add(
        "Audit page after 50 × Older vs first page, 1M rows (p50)",
        big["deep"] / big["first"],
        "≤ 1.2× (constant)",
        f"{big['deep'] * 1000:.1f} ms vs {big['first'] * 1000:.1f} ms; queries {big['deep_queries']}",
    )
    (s_week, n_week, m_week), (s_month, n_month, m_month) = csv_week, csv_month
    table.add(
        "Audit CSV, 4 weeks vs 1 week of a 1M-row log: peak memory",
        m_month / m_week,
        "≈ 1× (streamed)",
        f"{m_month / 2**20:.1f} MiB vs {m_week / 2**20:.1f} MiB traced peak; {n_month} vs {n_week} rows",
    )
    table.add(
        "Audit CSV, 4 weeks vs 1 week: rows per second",
        (n_month / s_month) / (n_week / s_week),
        "≈ 1× (linear)",
        f"{n_month / s_month:,.0f} vs {n_week / s_week:,.0f} rows/s ({s_month:.1f} s vs {s_week:.1f} s)",
    )
    table.add("Audit bench: writing 990,000 rows in SQL", None, "(reference)", f"{filled:.0f} s")
    for name in ("first", "client", "user", "deep"):
        print_plan(f"the audit page query ({name}) over 1,000,000 rows", _explain(big[f"{name}_sql"]))
