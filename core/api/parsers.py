"""The API's one JSON parser: DRF's, refusing nesting deeper than any request of ours needs.

Python's JSON decoder recurses once per level, so `[[[[...]]]]` a few thousand deep raises
RecursionError (a 500) before any view or authentication runs, even on the unauthenticated token
endpoint; and a body just under the interpreter's limit would still exhaust the stack later in a
serializer. The deepest body the API accepts (a review's `complete/` with its entries) is three
levels deep, so MAX_DEPTH leaves ample room; anything deeper is a 400 in the API's error format.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32
TOO_DEEP = f"JSON parse error - the body is nested more than {MAX_DEPTH} levels deep."


def exceeds_depth(data, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and objects in `data` nest deeper than `limit`, walked without recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if exceeds_depth(data):
            raise ParseError(TOO_DEEP)
        return data
