"""Errors shared by every app's services."""

from django.core.exceptions import PermissionDenied, ValidationError


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


# The two lock errors are raised by plans and formulation and translated by the API layer (core.api, 409),
# so they live here, below all of them: neither formulation nor core.api may import plans.
class ImmutableRecordError(Exception):
    """A signed plan, or part of one, was about to change. Amend the plan instead."""


class PlanLockedError(PermissionDenied):
    """The plan is no longer a draft; changes go through an amendment."""
