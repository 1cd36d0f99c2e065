"""How the API spells a progress review's ETag (see core/api/etags.py)."""

from core.api import etags
from progress.models import ProgressReview


def register() -> None:
    # The status is part of it: completing a review changes what may be done to it.
    etags.register(ProgressReview, token=lambda obj: f"review-{obj.pk}-{obj.status}")
