"""Parsing request parameters that are not form fields (hidden overrides, query strings, URL slugs).

A malformed one is the caller's mistake, so it answers 400 with a message naming the parameter
(core.dbfailure.bad_request renders it), never a ValueError that Django turns into a 500.
Messages are fixed text: they name the parameter, never echo the value sent.
"""

from collections.abc import Sequence

from django.core.exceptions import BadRequest

# Primary keys and version counters are bigints at most; a longer string of digits is not an id.
MAX_DIGITS = 18


class BadParameter(BadRequest):
    """A request parameter is malformed; the message is safe to show."""


def int_param(value: str | None, *, name: str, required: bool = False) -> int | None:
    """A non-negative whole number written in ASCII digits, or None when absent and not required."""
    if value is None or value == "":
        if required:
            raise BadParameter(f"{name} is required.")
        return None
    text = str(value)
    if not (text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS):
        raise BadParameter(f"{name} must be a whole number.")
    return int(text)


def choice_param(value: str | None, *, name: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise BadParameter(f"{name} must be {' or '.join(choices)}.")
    return value


def _field_label(key: str) -> str:
    # Field names are ours (e.g. "objective-12-statement"); anything else is not repeated back.
    return f"The field {key}" if key.replace("-", "").replace("_", "").isalnum() and len(key) <= 60 else "A field"


class RefuseNulCharactersMiddleware:
    """A NUL character in any query parameter or form field is a 400 naming the field.

    No field accepts one: forms refuse it field by field, but views that read a value directly
    (a comment's body, the search box) passed it on, and PostgreSQL refuses NUL in text with an
    error (a 500). Browsers cannot type it, so refusing the whole request loses nobody's work.
    The API is left to its own layer: bodies are JSON, whose serializers refuse NUL per field, and
    query parameters go through django-filter's form fields (unknown ones are ignored, as documented).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            return self.get_response(request)
        sources = [request.GET, request.POST] if request.method == "POST" else [request.GET]
        for source in sources:
            for key, values in source.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    raise BadParameter(f"{_field_label(key)} contains a NUL character, which no field accepts.")
        return self.get_response(request)
