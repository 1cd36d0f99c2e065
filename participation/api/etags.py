"""How the API spells a client link's ETag (see core/api/etags.py)."""

from core.api import etags
from participation.models import ClientLink


def register() -> None:
    # The status is part of it: revoking, voiding or finishing a link changes what may be done to it.
    etags.register(ClientLink, token=lambda link: f"client-link-{link.pk}-{link.status}")
