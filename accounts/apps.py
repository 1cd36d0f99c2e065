from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Practices and staff"

    def ready(self) -> None:
        # Imported here, not at the top: these modules import models, which Django allows only once
        # the app registry is ready, and ready() is where signal receivers are connected.
        from django.contrib.auth.signals import user_logged_in

        from accounts import auth
        from accounts.middleware import start_session_clock

        user_logged_in.connect(start_session_clock, dispatch_uid="accounts.start_session_clock")
        auth.connect_signals()
