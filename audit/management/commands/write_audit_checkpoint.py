from django.core.management.base import BaseCommand, CommandError

from audit import log


class Command(BaseCommand):
    help = (
        "Verify the access log, then append a checkpoint (entry count, head MAC, time) to "
        "AUDIT_CHECKPOINT_PATH. Beat runs it daily; run it also before and after maintenance."
    )

    def handle(self, *args, **options):
        path = log.checkpoint_path()
        try:
            checkpoint = log.write_checkpoint(path=path)
        except (log.CheckpointError, log.ChainBroken) as exc:
            raise CommandError(f"No checkpoint written: {exc}.") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Checkpoint written to {path}: {checkpoint.entries} entries, head MAC {checkpoint.head[:16]}... "
                f"at {checkpoint.at}."
            )
        )
