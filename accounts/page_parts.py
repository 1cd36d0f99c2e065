"""The pages of accounts that apps above it add sections to (the mechanism is core/page_parts.py).

accounts sits below plans and never imports it, yet the deactivation page says which plans wait
for the person's sign-off: plans registers that part from PlansConfig.ready().
"""

from core.page_parts import PagePart, fill, register

__all__ = ["STAFF_DEACTIVATION", "PagePart", "fill", "register"]

# The pages that take parts, and what each calls a part's loader with (keyword arguments).
STAFF_DEACTIVATION = "staff_deactivation"  # user (the admin), person (the one to be deactivated)
