"""Flags beside a client's name on the client list, from apps above clients.

clients never imports progress or participation, yet the list must show that a client's latest
PHQ-9 answered item 9 above 0, so a clinician sees it before opening the record. An app above
registers a provider in its AppConfig.ready(); the list asks every provider once per page, with the
page's client ids, so the count of queries does not grow with the page.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ClientFlag:
    label: str  # short, shown as a badge
    description: str  # the badge's accessible name and title


# A provider takes the reader and the page's client ids (already through the door) and answers
# {client_id: [ClientFlag, ...]} for the clients it flags.
Provider = Callable[..., dict[int, list[ClientFlag]]]

_providers: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> None:
    """Idempotent per name, so a second ready() does not flag twice."""
    _providers[name] = provider


def flags_for(*, user, client_ids: Iterable[int]) -> dict[int, list[ClientFlag]]:
    ids = list(client_ids)
    found: dict[int, list[ClientFlag]] = {}
    if not ids:
        return found
    for provider in _providers.values():
        for client_id, flags in provider(user=user, client_ids=ids).items():
            found.setdefault(client_id, []).extend(flags)
    return found
