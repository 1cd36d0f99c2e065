from django.apps import AppConfig


class NotesConfig(AppConfig):
    # Django's session framework holds the label `sessions`.
    name = "notes"
    label = "notes"
    verbose_name = "Sessions and progress notes"

    def ready(self) -> None:
        # Imported here: the guards read the models, which Django allows only once the registry is ready.
        from django.db.models.signals import post_migrate, pre_migrate

        from notes import guards, page_parts, plan_flags
        from notes.api import etags
        from notes.models import ServiceType
        from plans.library import views as library_views

        # SQLite only: drop the signed-note triggers around migrations (see notes/guards.py).
        pre_migrate.connect(guards.before_migrate, sender=self, dispatch_uid="notes.guards.before")
        post_migrate.connect(guards.after_migrate, sender=self, dispatch_uid="notes.guards.after")
        # The API layer (core.api) sits below the apps: notes tells it its ETags.
        etags.register()
        # clients and plans sit below notes and never import it: notes tells their pages what to show,
        # and the golden thread which objectives drift.
        page_parts.register()
        plan_flags.register()
        # A practice adds its own service types in the library, beside the other catalogues.
        library_views.register_catalogue(
            "service", model=ServiceType, fields=["name"], label="Service type", heading="Service types"
        )
