"""Each record's ETag and the plan that locks it, as the apps that own the records spell them.

This API layer sits below the apps (their API views build on it), so it imports none of their models.
Instead each app registers its records here from its `AppConfig.ready()`, which Django runs for
every installed app before the first request or test: the ETag token a record gets (see
core/api/concurrency.py for the format) and, for plan content, the plan whose status decides
whether the record may still change.
"""

from collections.abc import Callable
from typing import Any

from django.utils.http import quote_etag

_TOKENS: dict[type, Callable[[Any], str]] = {}
_PLANS: dict[type, Callable[[Any], Any]] = {}


def register(
    model: type, *, token: Callable[[Any], str] | None = None, plan_of: Callable[[Any], Any] | None = None
) -> None:
    """`token(obj)` is the ETag's text (unquoted); `plan_of(obj)` the plan it belongs to, if any."""
    if token is not None:
        _TOKENS[model] = token
    if plan_of is not None:
        _PLANS[model] = plan_of


def _lookup(table: dict[type, Callable], obj) -> Callable | None:
    # By class and its bases, as the isinstance checks this replaces did.
    for cls in type(obj).__mro__:
        if cls in table:
            return table[cls]
    return None


def etag_for(obj) -> str | None:
    token = _lookup(_TOKENS, obj)
    return quote_etag(token(obj)) if token else None


def plan_of(obj):
    """The plan whose status locks `obj` (the plan itself for a plan), or None for records outside a plan."""
    find = _lookup(_PLANS, obj)
    return find(obj) if find else None
