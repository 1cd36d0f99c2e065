"""Text messages to clients (issue 15's client links), through a backend named by `SMS_BACKEND`.

- "disabled": nothing can be sent, and the choice to send by text is refused where it is made
  (the production default: a practice turns texts on once it has a provider);
- "console": for development, writes the text to the console; the log gets only "a text was
  sent", never the number or the body;
- "locmem": for tests, keeps the texts in `outbox`, as Django's locmem mail backend keeps emails
  in `mail.outbox`.

A provider's backend is a function `send(to, body)` added to `BACKENDS`. Whatever the backend, the
body carries no PHI by design (the practice's name and a link), and the number is never logged.
"""

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Text:
    to: str
    body: str


# The "locmem" backend's sent texts; tests empty it between tests (tests/conftest.py).
outbox: list[Text] = []


def _console(to: str, body: str) -> None:
    # Development only: the developer reads the link here; stdout, not the log.
    sys.stdout.write(f"--- text message ---\n{body}\n--------------------\n")


def _locmem(to: str, body: str) -> None:
    outbox.append(Text(to=to, body=body))


def _disabled(to: str, body: str) -> None:
    raise ImproperlyConfigured("SMS_BACKEND is 'disabled': texts cannot be sent.")


BACKENDS: dict[str, Callable[[str, str], None]] = {
    "console": _console,
    "locmem": _locmem,
    "disabled": _disabled,
}


def enabled() -> bool:
    return settings.SMS_BACKEND != "disabled"


def send_sms(to: str, body: str) -> None:
    BACKENDS[settings.SMS_BACKEND](to, body)
    log.info("text message sent (%s backend)", settings.SMS_BACKEND)
