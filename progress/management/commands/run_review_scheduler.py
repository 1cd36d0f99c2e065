import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Practice
from progress import scheduling


class Command(BaseCommand):
    help = "Run the daily review scan now, for backfills or without a Celery beat."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Scan as of this date (YYYY-MM-DD) instead of each practice's today.")
        parser.add_argument("--practice", type=int, help="Only this practice id.")

    def handle(self, *args, date=None, practice=None, **options):
        try:
            as_of = dt.date.fromisoformat(date) if date else None
        except ValueError as exc:
            raise CommandError("--date must be YYYY-MM-DD.") from exc
        practices = Practice.objects.all() if practice is None else Practice.objects.filter(pk=practice)
        for p in practices:
            result = scheduling.run_for_practice(p, as_of or p.today())
            self.stdout.write(
                f"{p.name}: {result.created} scheduled, {result.marked_due} due, "
                f"{result.marked_overdue} overdue, {result.escalated} escalated"
            )
