"""Sections that apps higher up add to the pages of apps below them.

An app never imports the apps above it, yet its pages show what they know: the plan page shows the
plan's progress (progress) and its last sessions (notes), the client page its session history
(notes). The page's app names its page (plans/page_parts.py, clients/page_parts.py); an app above
registers its part in its AppConfig.ready(); the page loads every registered part into its context
under the part's key and includes the part's template, in registration order.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PagePart:
    key: str  # the context key the part's template reads
    template: str
    load: Callable[..., Any]
    # Where the page's outline links to the part ("Progress" → #reviews); a part without a title is
    # not in the outline.
    title: str = ""
    anchor: str = ""


_parts: dict[str, dict[str, PagePart]] = {}


def register(
    page_name: str, /, *, key: str, template: str, load: Callable[..., Any], title: str = "", anchor: str = ""
) -> None:
    """Idempotent per key, so a second ready() (as in some test runners) does not show a part twice."""
    _parts.setdefault(page_name, {})[key] = PagePart(key=key, template=template, load=load, title=title, anchor=anchor)


def parts_of(page_name: str, /) -> list[PagePart]:
    return list(_parts.get(page_name, {}).values())


def fill(page_name: str, /, **kwargs) -> dict[str, Any]:
    """The context the page's parts need: each part's data under its key, and the parts themselves
    under "page_parts" for the template to include. The keyword arguments go to every loader."""
    parts = parts_of(page_name)
    context: dict[str, Any] = {part.key: part.load(**kwargs) for part in parts}
    context["page_parts"] = parts
    return context
