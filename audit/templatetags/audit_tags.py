from django import template

from audit import embedded

register = template.Library()


@register.simple_tag(takes_context=True)
def page_view_stamp(context, object_id) -> str:
    """`?pv=…` for an image the page embeds, so fetching it is not a second read (audit/embedded.py)."""
    user = context["request"].user
    return f"{embedded.PARAMETER}={embedded.stamp(user_pk=user.pk, object_id=object_id)}"
