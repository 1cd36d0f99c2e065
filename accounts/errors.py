"""Errors shared by every app's services."""

from django.core.exceptions import ValidationError


class StaleEditError(ValidationError):
    """Someone else saved this record after the editor loaded it.

    Carries the record as it now stands so the page can show both texts.
    """

    def __init__(self, current, message: str | None = None):
        self.current = current
        super().__init__(
            message
            or "Someone else saved this record after you opened it. Your text is kept below "
            "next to theirs: copy what you need and save again."
        )
