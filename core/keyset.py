"""Keyset pagination: a page is the rows after (or before) one row in a total order, not an offset.

OFFSET n reads and throws away n rows and a page count needs a COUNT(*) over the whole filtered
set, so both grow with the table; a keyset page reads its own rows through an index on the order
whatever its depth. The cursor is a row's primary key only (no other values, so nothing a person
typed or a record holds goes into a URL); its sort values are read back from the database, within
a scope the caller gives, so a cursor naming a row outside that scope is no cursor (the first page).

The order must be total (end it with the primary key) over columns that are never NULL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet


@dataclass
class KeysetPage:
    rows: list = field(default_factory=list)
    # The primary keys to page on from: `before=` newer (earlier in the order), `after=` older.
    before: int | None = None
    after: int | None = None

    @property
    def is_first(self) -> bool:
        return self.before is None


def _parts(key: str) -> tuple[str, bool]:
    return key.removeprefix("-"), key.startswith("-")


def _reverse(order: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(key[1:] if key.startswith("-") else "-" + key for key in order)


def beyond(order: tuple[str, ...], values: tuple) -> Q:
    """The rows strictly after `values` in `order`: (k1 > v1) or (k1 = v1 and k2 > v2) or …, each
    comparison turned for a descending key. The leading key's own bound (k1 >= v1) is added as well,
    so the database can start its index scan there rather than filter from the top."""
    condition = Q(pk__in=[])
    equal = Q()
    for key, value in zip(order, values, strict=True):
        name, descending = _parts(key)
        condition |= equal & Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
        equal &= Q(**{name: value})
    name, descending = _parts(order[0])
    return Q(**{f"{name}__{'lte' if descending else 'gte'}": values[0]}) & condition


def page(
    queryset: QuerySet,
    *,
    order: tuple[str, ...],
    scope: QuerySet,
    after: int | None = None,
    before: int | None = None,
    size: int,
) -> KeysetPage:
    """One page of `queryset` in `order`: the first, the one after the row `after`, or the one before
    the row `before`. Two queries at most (the cursor row's values, the page), whatever the depth."""
    cursor = after if after is not None else before
    values = None
    if cursor is not None:
        values = scope.filter(pk=cursor).values_list(*(_parts(key)[0] for key in order)).first()
    if values is None:
        rows = list(queryset.order_by(*order)[: size + 1])
        return KeysetPage(rows=rows[:size], after=rows[size - 1].pk if len(rows) > size else None)
    if after is not None:
        rows = list(queryset.filter(beyond(order, values)).order_by(*order)[: size + 1])
        # The cursor row itself lies before this page, so there is always a newer page.
        return KeysetPage(
            rows=rows[:size],
            before=rows[0].pk if rows else cursor,
            after=rows[size - 1].pk if len(rows) > size else None,
        )
    backwards = _reverse(order)
    rows = list(queryset.filter(beyond(backwards, values)).order_by(*backwards)[: size + 1])
    more_before = len(rows) > size
    rows = rows[:size][::-1]
    if not rows:
        return page(queryset, order=order, scope=scope, size=size)
    return KeysetPage(rows=rows, before=rows[0].pk if more_before else None, after=rows[-1].pk)
