"""The pages of plans that apps above it add sections to (the mechanism is core/page_parts.py).

plans sits below progress and notes and never imports them, yet the plan page shows the plan's
progress and last sessions, and the sign-off queue lists supervisees' overdue progress reviews.
"""

from core.page_parts import PagePart, fill, fill_lazily, register

__all__ = ["PLAN_DETAIL", "SIGN_OFF_QUEUE", "PagePart", "fill", "fill_lazily", "register"]

# The pages that take parts, and what each calls a part's loader with (keyword arguments).
PLAN_DETAIL = "plan_detail"  # user, plan, page (plans.selectors.PlanPage), today
SIGN_OFF_QUEUE = "sign_off_queue"  # user, today
