from django.apps import AppConfig

from core import lookups


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Shared machinery"

    def ready(self) -> None:
        # Huge ids in `__in` match nothing instead of overflowing the driver (a 500 from any form).
        lookups.register()
