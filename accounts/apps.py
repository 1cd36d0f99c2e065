from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Practices and staff"

    def ready(self) -> None:
        # Imported here, not at the top: these modules import models, which Django allows only once
        # the app registry is ready, and ready() is where signal receivers are connected.
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from accounts import auth, history
        from accounts.middleware import start_session_clock
        from config import lookups

        user_logged_in.connect(start_session_clock, dispatch_uid="accounts.start_session_clock")
        auth.connect_signals()
        history.connect_signals()
        post_migrate.connect(history.refresh_after_migrate, sender=self, dispatch_uid="accounts.history.refresh")
        # Huge ids in `__in` match nothing instead of overflowing the driver (a 500 from any form).
        lookups.register()
