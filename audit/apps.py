from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        # Imported here, not at the top: history reads the migration recorder, which Django allows
        # only once the app registry is ready, and ready() is where signal receivers are connected.
        from django.db.models.signals import post_migrate

        from audit import history

        history.connect_signals()
        post_migrate.connect(history.refresh_after_migrate, sender=self, dispatch_uid="audit.history.refresh")
