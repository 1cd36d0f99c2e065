from django.apps import AppConfig


class ParticipationConfig(AppConfig):
    name = "participation"
    verbose_name = "Client participation (client links)"

    def ready(self) -> None:
        # Imported here: the views import models, which Django allows only once the registry is ready.
        from clients import page_parts as client_pages
        from participation import views
        from participation.api import etags
        from plans import page_parts as plan_pages

        # clients sits below participation and never imports it: the client page shows its links
        # through the page parts registry.
        client_pages.register(
            client_pages.CLIENT_DETAIL,
            key="client_links",
            template="participation/_client_links.html",
            load=views.client_links_part,
        )
        # The plan page shows the version's agreement and asks for it, for the same reason.
        plan_pages.register(
            plan_pages.PLAN_DETAIL,
            key="client_agreement",
            template="participation/_plan_agreement.html",
            load=views.plan_agreement_part,
            title="Client agreement",
            anchor="client-agreement",
        )
        client_pages.register(
            client_pages.CLIENT_DETAIL_NOTICES,
            key="client_alert_banner",
            template="participation/_client_alert_banner.html",
            load=views.client_alert_banner_part,
        )
        etags.register()
