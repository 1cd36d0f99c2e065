"""`make bench`: run every benchmark on a scratch database and print one table."""

import argparse
import time

GROUPS = ("web", "api", "notes", "scheduler", "audit", "pdf", "export")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--only",
        type=lambda value: set(value.split(",")),
        default=set(GROUPS),
        help="Run these groups only, comma-separated: " + ", ".join(GROUPS) + ".",
    )
    args = parser.parse_args()
    if unknown := args.only - set(GROUPS):
        parser.error(f"unknown group(s): {', '.join(sorted(unknown))}")

    from bench.setup import configure

    started = time.perf_counter()
    env = configure()
    from django.db import connection

    from bench.report import Table

    table = Table()
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}); broker: {env['CELERY_BROKER_URL']}")
    if "web" in args.only:
        from bench import web_bench

        web_bench.run(table)
    if "api" in args.only:
        from bench import api_bench

        api_bench.run(table)
    if "notes" in args.only:
        from bench import notes_bench

        notes_bench.run(table)
    if "scheduler" in args.only:
        from bench import scheduler_bench

        scheduler_bench.run(table)
    if "audit" in args.only:
        from bench import audit_bench

        audit_bench.run(table)
    if "pdf" in args.only:
        from bench import pdf_bench

        pdf_bench.run(table, env)
    if "export" in args.only:
        from bench import export_bench

        export_bench.run(table, env)
    print()
    table.print()
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
