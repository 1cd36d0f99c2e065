from django.core.management.base import BaseCommand, CommandError

from accounts.audit import verify_chain


class Command(BaseCommand):
    help = "Check the access log's hash chain; report the first broken link and exit non-zero if there is one."

    def handle(self, *args, **options):
        checked, broken = verify_chain()
        if broken is not None:
            raise CommandError(
                f"Access log chain broken at entry {broken.pk}: {broken.reason}. "
                f"{checked} entries before it are intact."
            )
        self.stdout.write(self.style.SUCCESS(f"Access log intact: {checked} entries, every link verified."))
