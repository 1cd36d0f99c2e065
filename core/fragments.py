"""Rendered fragments kept in the cache under keys made of what they show ("Russian doll" caching).

A page works out the key of every fragment it may render before rendering (from each record's id
and optimistic-lock version, and whatever else the fragment shows), fetches them all with one
`get_many`, renders only the misses inside `{% fragment key %}…{% endfragment %}` and stores those
with one `set_many`. An outer fragment's key is made of its inner fragments' keys, so an edit to one
item re-renders that item and the frames around it, and every other fragment comes from the cache.

Nothing is ever deleted by hand: an edit changes a version, a version changes a key, and the old
entry ages out. So a key must hold everything the fragment shows that its record's version does not
cover (a catalogue name, a linked record, the reader's right to edit). Nothing per reader and per
request (a CSRF token, a one-time form id) may be in a fragment: leave a slot and fill it per request.
"""

import functools
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from django.core.cache import cache
from django.template import engines

from core.idempotency import new_form_id

# A fragment outlives no change (its key changes), so the timeout only bounds what stale keys hold.
TIMEOUT = 60 * 60 * 24
PREFIX = "frag:v1:"


def templates_digest(directories: Iterable[Path]) -> str:
    """A digest of every template file's path and content under these directories."""
    digest = hashlib.sha256()
    for directory in sorted({Path(d) for d in directories}):
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(directory)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


@functools.cache
def _release() -> str:
    """What the templates are in this release: a fragment rendered by another release's templates
    (kept in a shared cache across a deploy) is never served by this one. Read once per process."""
    return templates_digest(engines["django"].template_dirs)


def key(kind: str, *material) -> str:
    """A fragment's key: its kind and a hash of what it shows (reprs of plain values), under this
    release's templates."""
    return f"{PREFIX}{_release()}:{kind}:" + hashlib.sha256(repr(material).encode()).hexdigest()[:40]


# What a fragment holds in place of a per-request value; `fill_slots` puts this request's in.
CSRF_SLOT = "csrf-token-slot"
FORM_ID_SLOT = "form-id-slot"
# Set in a template's context while its output may be cached: `{% form_id %}` then leaves a slot.
SLOTS_CONTEXT = "fragment_slots"


def fill_slots(html: str, *, csrf_token: str) -> str:
    """This request's CSRF token in every token slot, and a fresh one-time form id in each form id
    slot (two forms never share one, or the second would be refused as sent twice)."""
    html = html.replace(CSRF_SLOT, csrf_token)
    return re.sub(FORM_ID_SLOT, lambda _: new_form_id(), html)


class Fragments:
    """The fragments one rendering may use, fetched at once; the misses rendered are stored at once by `save()`."""

    def __init__(self, keys: Iterable[str] = ()):
        wanted = [k for k in keys if k]
        self.found: dict[str, str] = cache.get_many(wanted) if wanted else {}
        self.rendered: dict[str, str] = {}

    def fetch(self, keys: Iterable[str]) -> None:
        """Fetch at once the fragments found needed only once rendering began (e.g. the comment forms
        in the slots of what was rendered)."""
        wanted = [k for k in dict.fromkeys(keys) if k and k not in self.found and k not in self.rendered]
        if wanted:
            self.found.update(cache.get_many(wanted))

    def get(self, fragment_key: str) -> str | None:
        return self.found.get(fragment_key) or self.rendered.get(fragment_key)

    def put(self, fragment_key: str, html: str) -> None:
        self.rendered[fragment_key] = html

    def save(self) -> None:
        if self.rendered:
            cache.set_many(self.rendered, TIMEOUT)
            self.found.update(self.rendered)
            self.rendered = {}
