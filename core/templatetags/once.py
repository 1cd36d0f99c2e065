"""`{% form_id %}`: the one-time id that makes a create form safe to send twice (core/idempotency.py)."""

from django import template
from django.utils.html import format_html

from core.fragments import FORM_ID_SLOT, SLOTS_CONTEXT
from core.idempotency import FORM_ID_FIELD, new_form_id

register = template.Library()


@register.simple_tag(takes_context=True)
def form_id(context) -> str:
    """A hidden input with a fresh random id, made each time the form is rendered; in a fragment
    that is cached for later requests, a slot that each request fills (core/fragments.fill_slots)."""
    value = FORM_ID_SLOT if context.get(SLOTS_CONTEXT) else new_form_id()
    return format_html('<input type="hidden" name="{}" value="{}">', FORM_ID_FIELD, value)
