"""Render PDFs in one process, as a worker child would, and print its RSS (KiB) after 10 and 200."""

import sys


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main() -> None:
    import django

    django.setup()
    from django.core.cache import cache

    from plans.selectors import plan_queryset
    from records import pdf

    plan_ids = [int(x) for x in sys.argv[1].split(",")]
    readings = {}
    for count in range(1, 201):
        cache.clear()  # every render draws its chart, as for a worker's first sight of a plan
        # An operator's benchmark, acting for nobody: the plan is loaded as render_plan_id would, unscoped.
        pdf.render_pdf(plan_queryset().get(pk=plan_ids[count % len(plan_ids)]))
        if count in (10, 200):
            readings[count] = rss_kib()
    print(readings[10], readings[200])


if __name__ == "__main__":
    main()
