from django.apps import AppConfig


class FormulationConfig(AppConfig):
    name = "formulation"

    def ready(self) -> None:
        # Imported here, not at the top: an app's models may be imported only once the registry is ready.
        from formulation.api import etags

        etags.register()
