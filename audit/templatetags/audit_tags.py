from django import template

from audit import embedded
from core.fragments import SLOTS_CONTEXT

register = template.Library()


@register.simple_tag(takes_context=True)
def page_view_stamp(context, object_id) -> str:
    """`?pv=…` for an image the page embeds, so fetching it is not a second read (audit/embedded.py)."""
    if context.get(SLOTS_CONTEXT):
        return f"{embedded.PARAMETER}={embedded.stamp_slot(object_id)}"
    user = context["request"].user
    return f"{embedded.PARAMETER}={embedded.stamp(user_pk=user.pk, object_id=object_id)}"
