"""`{% form_id %}`: the one-time id that makes a create form safe to send twice (core/idempotency.py)."""

from django import template
from django.utils.html import format_html

from core.idempotency import FORM_ID_FIELD, new_form_id

register = template.Library()


@register.simple_tag
def form_id() -> str:
    """A hidden input with a fresh random id, made each time the form is rendered."""
    return format_html('<input type="hidden" name="{}" value="{}">', FORM_ID_FIELD, new_form_id())
