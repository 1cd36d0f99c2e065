from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit import log


class Command(BaseCommand):
    help = (
        "Check the access log's HMAC chain and compare the table with the latest checkpoint "
        "(AUDIT_CHECKPOINT_PATH); report the first problem and exit non-zero if there is one."
    )

    def handle(self, *args, **options):
        path = log.checkpoint_path()
        try:
            report = log.verify(path=path)
        except log.CheckpointError as exc:
            raise CommandError(f"Access log checkpoint cannot be trusted: {exc}.") from exc
        broken = report.broken
        if broken is not None and broken.kind == "truncated":
            raise CommandError(f"Access log truncated: {broken.reason}.")
        if broken is not None and broken.kind == "rewritten":
            raise CommandError(f"Access log does not match its checkpoint: {broken.reason}.")
        if broken is not None:
            raise CommandError(
                f"Access log chain broken at entry {broken.pk}: {broken.reason}. "
                f"{report.checked} entries before it are intact."
            )
        self.stdout.write(
            self.style.SUCCESS(f"Access log intact: {report.checked} entries, every link and MAC verified.")
        )
        if settings.AUDIT_HMAC_KEY == log.DEVELOPMENT_KEY:
            self.stdout.write(
                self.style.WARNING(
                    "AUDIT_HMAC_KEY is not set: the chain is keyed with the public development key (DEBUG only)."
                )
            )
        checkpoint = report.checkpoint
        if checkpoint is None:
            self.stdout.write(
                self.style.WARNING(
                    f"No checkpoint yet in {path}: entries removed from the end of the log could not be noticed. "
                    "Run `manage.py write_audit_checkpoint` (beat does it daily)."
                )
            )
        else:
            self.stdout.write(
                f"Matches the latest checkpoint ({checkpoint.at}: {checkpoint.entries} entries, "
                f"head MAC {checkpoint.head[:16]}...); {report.checked - checkpoint.entries} entries since."
            )
