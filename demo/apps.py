from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo and scale data builders and `seed_demo`: the top layer, as they build every app's records."""

    name = "demo"
