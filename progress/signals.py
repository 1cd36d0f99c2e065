"""progress's answers to what plans announces (plans/signals.py): plans does not import progress."""

from plans.signals import plan_closed
from progress import services


def _cancel_open_reviews(sender, *, plan, **kwargs) -> None:
    services.cancel_open_reviews(plan=plan)


def connect() -> None:
    plan_closed.connect(_cancel_open_reviews, dispatch_uid="progress.cancel_open_reviews")
