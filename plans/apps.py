from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"

    def ready(self) -> None:
        # Imported here, not at the top: guards and the ETag registrations import models, which Django
        # allows only once the app registry is ready.
        from django.db.models.signals import post_migrate, pre_migrate

        from formulation import views as formulation_views
        from plans import staff_parts
        from plans.api import etags
        from plans.editor.views import FORMULATION_PAGE
        from plans.lifecycle import guards

        # SQLite only: drop the signed-plan triggers around migrations (see plans/lifecycle/guards.py).
        pre_migrate.connect(guards.before_migrate, sender=self, dispatch_uid="plans.guards.before")
        post_migrate.connect(guards.after_migrate, sender=self, dispatch_uid="plans.guards.after")
        # The API layer (core.api) sits below the apps: they tell it their ETags and locks.
        etags.register()
        # The formulation editor sits below plans: plans tells it how the plan page redraws.
        formulation_views.register_page(FORMULATION_PAGE)
        # The staff deactivation page (accounts) lists the plans awaiting the person's sign-off.
        staff_parts.register()
