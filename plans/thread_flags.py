"""Flags that apps above plans raise on objectives in the plan page's golden-thread panel.

plans sits below notes and never imports it, yet the panel shows the objectives no session has
worked on since the last review (drift). An app above plans registers a provider in its
AppConfig.ready(); the panel groups the objectives each flag names. A provider is called with
`plan` and `objectives` (the version's current objectives) and returns {objective pk: message};
keep it to a query or two, as the plan page's query count must not grow with the record.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from plans.models import Objective, TreatmentPlan

Provider = Callable[..., Mapping[int, str]]

_providers: dict[str, Provider] = {}


@dataclass(frozen=True)
class ThreadFlag:
    key: str  # the provider's key, e.g. "drift"
    message: str
    objectives: tuple[Objective, ...]


def register(key: str, provider: Provider) -> None:
    """Idempotent per key, so a second ready() does not flag twice."""
    _providers[key] = provider


def collect(plan: TreatmentPlan, objectives: list[Objective]) -> list[ThreadFlag]:
    """Every provider's flags, each message with the objectives it names in the plan's order."""
    flags = []
    for key, provider in _providers.items():
        named = provider(plan=plan, objectives=objectives)
        by_message: dict[str, list[Objective]] = {}
        for objective in objectives:
            if objective.pk in named:
                by_message.setdefault(named[objective.pk], []).append(objective)
        flags.extend(ThreadFlag(key, message, tuple(found)) for message, found in by_message.items())
    return flags


def cache_stamp(flags: list[ThreadFlag]) -> str:
    """What the flags add to a cached rendering's key: a final version's structure is cached, and
    its flags change with the sessions recorded, not with its content."""
    return "|".join(f"{f.key}:{f.message}:{','.join(str(o.pk) for o in f.objectives)}" for f in flags)
