from django.core.management.base import BaseCommand

from core.outbox import relay


class Command(BaseCommand):
    help = "Publish background work that waited in the outbox while the broker was down."

    def handle(self, *args, **options):
        sent, pending = relay(limit=100_000)
        self.stdout.write(f"{sent} published, {pending} still pending")
