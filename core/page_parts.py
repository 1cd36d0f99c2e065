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

from django.utils.functional import SimpleLazyObject


@dataclass(frozen=True)
class PagePart:
    key: str  # the context key the part's template reads
    template: str
    load: Callable[..., Any]
    # Where the page's outline links to the part ("Progress" → #reviews); a part without a title is
    # not in the outline.
    title: str = ""
    anchor: str = ""
    # What the part shows, cheaply read (ids, versions, counts): given, the page may keep the part's
    # rendering in the fragment cache under it (core/fragments.py) and the loader runs only when
    # the part is rendered anew. Called with the loader's arguments; must cover everything the
    # part shows except what the page itself puts in the key (the page documents that).
    stamp: Callable[..., Any] | None = None


_parts: dict[str, dict[str, PagePart]] = {}


def register(
    page_name: str,
    /,
    *,
    key: str,
    template: str,
    load: Callable[..., Any],
    title: str = "",
    anchor: str = "",
    stamp: Callable[..., Any] | None = None,
) -> None:
    """Idempotent per key, so a second ready() (as in some test runners) does not show a part twice."""
    _parts.setdefault(page_name, {})[key] = PagePart(
        key=key, template=template, load=load, title=title, anchor=anchor, stamp=stamp
    )


def parts_of(page_name: str, /) -> list[PagePart]:
    return list(_parts.get(page_name, {}).values())


def fill(page_name: str, /, **kwargs) -> dict[str, Any]:
    """The context the page's parts need: each part's data under its key, and the parts themselves
    under "page_parts" for the template to include. The keyword arguments go to every loader."""
    parts = parts_of(page_name)
    context: dict[str, Any] = {part.key: part.load(**kwargs) for part in parts}
    context["page_parts"] = parts
    return context


def fill_lazily(page_name: str, /, **kwargs) -> tuple[dict[str, Any], dict[str, Any]]:
    """As `fill`, but a part with a stamp is loaded only when its template reads it (on a fragment
    cache miss); returns the context and each stamped part's stamp by key, for the page's keys."""
    parts = parts_of(page_name)
    context: dict[str, Any] = {"page_parts": parts}
    stamps: dict[str, Any] = {}
    for part in parts:
        if part.stamp is None:
            context[part.key] = part.load(**kwargs)
        else:
            stamps[part.key] = part.stamp(**kwargs)
            context[part.key] = SimpleLazyObject(lambda part=part: part.load(**kwargs))
    return context, stamps
