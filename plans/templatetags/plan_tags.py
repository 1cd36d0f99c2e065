from django import template

register = template.Library()

KIND_LABELS = {
    "goal": "goal",
    "objective": "objective",
    "intervention": "intervention",
    "conflict": "core conflict",
    "defense": "defense",
}


@register.filter
def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)
