"""Sections that apps above plans add to plans' pages.

plans sits below progress and records and never imports them, yet the plan page shows the plan's
progress and the sign-off queue lists supervisees' overdue progress reviews. An app above plans
registers its part in its AppConfig.ready(); the page loads every registered part into its context
under the part's key and includes the part's template, in registration order.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The pages that take parts, and what each calls a part's loader with (keyword arguments).
PLAN_DETAIL = "plan_detail"  # user, plan, page (plans.selectors.PlanPage), today
SIGN_OFF_QUEUE = "sign_off_queue"  # user, today


@dataclass(frozen=True)
class PagePart:
    key: str  # the context key the part's template reads
    template: str
    load: Callable[..., Any]


_parts: dict[str, dict[str, PagePart]] = {PLAN_DETAIL: {}, SIGN_OFF_QUEUE: {}}


def register(page_name: str, /, *, key: str, template: str, load: Callable[..., Any]) -> None:
    """Idempotent per key, so a second ready() (as in some test runners) does not show a part twice."""
    _parts[page_name][key] = PagePart(key=key, template=template, load=load)


def fill(page_name: str, /, **kwargs) -> dict[str, Any]:
    """The context the page's parts need: each part's data under its key, and the parts themselves
    under "page_parts" for the template to include. The keyword arguments go to every loader."""
    parts = list(_parts[page_name].values())
    context: dict[str, Any] = {part.key: part.load(**kwargs) for part in parts}
    context["page_parts"] = parts
    return context
