"""How the API spells the ETags of clients and presenting problems (see core/api/etags.py)."""

from clients.models import Client, PresentingProblem
from core.api import etags


def register() -> None:
    etags.register(Client, token=lambda obj: f"client-{obj.pk}-v{obj.version}")
    etags.register(PresentingProblem, token=lambda obj: f"problem-{obj.pk}-v{obj.version}")
