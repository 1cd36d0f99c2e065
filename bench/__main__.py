"""`make bench`: run every benchmark on a scratch database and print one table."""

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--only", choices=["web", "api", "notes", "scheduler", "audit", "pdf", "export"], help="Run one group only."
    )
    args = parser.parse_args()

    from bench.setup import configure

    started = time.perf_counter()
    env = configure()
    from django.db import connection

    from bench.report import Table

    table = Table()
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}); broker: {env['CELERY_BROKER_URL']}")
    if args.only in (None, "web"):
        from bench import web_bench

        web_bench.run(table)
    if args.only in (None, "api"):
        from bench import api_bench

        api_bench.run(table)
    if args.only in (None, "notes"):
        from bench import notes_bench

        notes_bench.run(table)
    if args.only in (None, "scheduler"):
        from bench import scheduler_bench

        scheduler_bench.run(table)
    if args.only in (None, "audit"):
        from bench import audit_bench

        audit_bench.run(table)
    if args.only in (None, "pdf"):
        from bench import pdf_bench

        pdf_bench.run(table, env)
    if args.only in (None, "export"):
        from bench import export_bench

        export_bench.run(table, env)
    print()
    table.print()
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
