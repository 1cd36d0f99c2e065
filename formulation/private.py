"""Which of the formulation's private fields (Formulation.PRIVATE_FIELDS) a person may not read.

The rule is accounts.policy's (Action.READ_COUNTERTRANSFERENCE and its siblings); this module only
turns its answer into the fields a page, a form or an API response leaves out, so that every
reader of a formulation asks the same question in the same words.
"""

from accounts import policy
from formulation.models import Formulation


def fields_hidden_from(
    user, plan, *, action: policy.Action = policy.Action.READ_COUNTERTRANSFERENCE
) -> tuple[str, ...]:
    """The private fields of `plan`'s formulation that `user` may not read: all of them, or none.

    `action` names where they would be read: on the plan's pages (the default) or through the API
    (Action.READ_COUNTERTRANSFERENCE_VIA_API).
    """
    return () if policy.can(user, action, plan) else Formulation.PRIVATE_FIELDS
