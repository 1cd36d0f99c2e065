"""Which apps are ours: every installed app whose package sits at the repository root, so a scan
over "our apps" takes in a new app the day it is installed."""

from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
PROJECT_APPS = tuple(config.name for config in apps.get_app_configs() if Path(config.path).parent == ROOT)
# Our packages: the apps and the composition root, which is not an app.
PROJECT_PACKAGES = (*PROJECT_APPS, "config")
