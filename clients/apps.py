from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "clients"

    def ready(self) -> None:
        # Imported here, not at the top: an app's models may be imported only once the registry is ready.
        from clients.api import etags

        etags.register()
