"""How the API spells a formulation's ETag: every section's version (see core/api/etags.py)."""

from core.api import etags
from formulation.models import Formulation


def _token(obj: Formulation) -> str:
    sections = "-".join(f"{name}{obj.section_version(name)}" for name in Formulation.SECTIONS)
    return f"formulation-{obj.pk}-{sections}"


def register() -> None:
    # Which plan locks a formulation is the plan side's to say (plans/api/etags.py).
    etags.register(Formulation, token=_token)
