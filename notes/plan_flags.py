"""notes's flags in the plan page's golden thread (plans/thread_flags.py): the objectives drifting."""

from notes import evidence
from plans import thread_flags


def _drift(*, plan, objectives) -> dict[int, str]:
    flags = evidence.drift_flags(plan=plan, objectives=objectives)
    if flags is None:
        return {}
    return dict.fromkeys(flags.objective_ids, flags.message())


def register() -> None:
    thread_flags.register("drift", _drift)
