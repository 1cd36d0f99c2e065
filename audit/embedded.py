"""What a page embeds is part of that page's one read.

The plan page shows its charts as images, each a request of its own to a route about the plan. The
page view is the read worth a row; its images carry a stamp the page signed for this person and this
record, so the middleware writes no row for them. An image fetched without a valid stamp (typed in,
another person's, or an hour old) is recorded as a read like any other request.
"""

import re

from django.core import signing

PARAMETER = "pv"
_SALT = "audit.embedded-in-page-view"
MAX_AGE_SECONDS = 60 * 60


def _value(user_pk: int, object_id) -> str:
    return f"{user_pk}:{object_id}"


def stamp(*, user_pk: int, object_id) -> str:
    return signing.TimestampSigner(salt=_SALT).sign(_value(user_pk, object_id))


# In a fragment cached for every reader, the stamp is a slot: the stamp is this person's own and
# expires, so each request puts its own in (fill_stamp_slots).
SLOT = "pv-stamp-slot:"
_SLOT_PATTERN = re.compile(re.escape(SLOT) + r"([\w-]+)")


def stamp_slot(object_id) -> str:
    return f"{SLOT}{object_id}"


def fill_stamp_slots(html: str, *, user_pk: int) -> str:
    return _SLOT_PATTERN.sub(lambda match: stamp(user_pk=user_pk, object_id=match.group(1)), html)


def covered_by_page_view(request, *, user_pk: int, object_id) -> bool:
    given = request.GET.get(PARAMETER, "")
    if not given:
        return False
    try:
        value = signing.TimestampSigner(salt=_SALT).unsign(given, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:
        return False
    return value == _value(user_pk, object_id)
