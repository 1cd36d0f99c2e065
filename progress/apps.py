from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "progress"

    def ready(self) -> None:
        # Imported here, not at the top: these modules import models, which Django allows only once the
        # app registry is ready.
        from clients import flags as client_flags
        from notes import evidence
        from progress import page_parts, selectors, signals
        from progress.api import etags

        # plans sits below progress and never imports it: progress tells plans what to show and what to
        # do when a plan closes, and the API layer its review ETags.
        page_parts.register()
        signals.connect()
        etags.register()
        # notes sits below progress: progress tells it where "since the last review" starts.
        evidence.register_baseline(selectors.last_review_on)
        # The client list (clients, below progress) badges a client whose latest PHQ-9 asks for a risk check.
        client_flags.register("phq9_item9", selectors.client_list_flags)
