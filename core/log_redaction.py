"""Keep client-link tokens out of the logs.

A client link's token is its path (/c/<token>/, participation). Django logs the path of every 4xx
and 5xx answer ("Gone: /c/<token>/"), and the development server logs request lines: a log reader
would hold links that still open (a rate-limited request answers 429 to a live link). This filter
on the console handler blanks the token in every record it writes, whichever logger made it.
"""

import logging
import re

TOKEN_IN_PATH = re.compile(r"(?<=/c/)[^/\s\"'?#]+")
REDACTED = "[token]"


def redact(text: str) -> str:
    return TOKEN_IN_PATH.sub(REDACTED, text)


class RedactClientLinkTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/c/" in message:
            record.msg, record.args = redact(message), None
        return True
