from django.apps import AppConfig


class ParticipationConfig(AppConfig):
    name = "participation"
    verbose_name = "Client participation (client links)"

    def ready(self) -> None:
        # Imported here: the views import models, which Django allows only once the registry is ready.
        from clients import page_parts as client_pages
        from participation import views
        from participation.api import etags

        # clients sits below participation and never imports it: the client page shows its links
        # through the page parts registry.
        client_pages.register(
            client_pages.CLIENT_DETAIL,
            key="client_links",
            template="participation/_client_links.html",
            load=views.client_links_part,
        )
        etags.register()
