"""EXPLAIN a queryset, and say whether the tables that grow with the practice are read through an index."""

from django.db import connection


def explain(queryset, *, analyze: bool = False) -> list[str]:
    sql, params = queryset.query.sql_with_params()
    if connection.vendor == "postgresql":
        prefix = "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " if analyze else "EXPLAIN (COSTS OFF) "
    else:
        prefix = "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return [" ".join(str(c) for c in row) for row in cursor.fetchall()]


def seq_scanned(lines: list[str], tables: list[str]) -> list[str]:
    """The big tables the plan reads whole ("Seq Scan on <table>"; SQLite's "SCAN <table>")."""
    return [
        t
        for t in tables
        if any(f"Seq Scan on {t}" in line or f"SCAN {t}" in line and "USING" not in line for line in lines)
    ]


def index_verdict(lines: list[str], tables: list[str]) -> str:
    """ "yes" when none of `tables` is sequentially scanned, else "NO (seq scan on …)"."""
    scanned = seq_scanned(lines, tables)
    return "yes" if not scanned else "NO (seq scan on " + ", ".join(scanned) + ")"


def print_plan(title: str, lines: list[str]) -> None:
    print(f"\nEXPLAIN of {title}:")
    for line in lines:
        # A plan's IN list of thousands of ids says nothing more after its first few.
        print("   ", line if len(line) <= 220 else line[:200] + " …")
