"""Parsing request parameters that are not form fields (hidden overrides, query strings, URL slugs).

A malformed one is the caller's mistake, so it answers 400 with a message naming the parameter
(config.dbfailure.bad_request renders it), never a ValueError that Django turns into a 500.
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
