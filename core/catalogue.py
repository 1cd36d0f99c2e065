"""The catalogues' shared vocabulary: built-in entries everyone sees, plus a practice's own additions.

Formulation's conflict and defense catalogues and the plans' library (interventions, templates,
measures) all hold both kinds of row, told apart by an empty `practice`.
"""

from django.db import models
from django.db.models import Q


class CatalogueQuerySet(models.QuerySet):
    def available_to(self, practice_id: int | None):
        """Built-in entries plus the practice's own additions."""
        return self.filter(Q(practice__isnull=True) | Q(practice_id=practice_id), is_active=True)
