from django import template

register = template.Library()

KIND_LABELS = {
    "goal": "goal",
    "objective": "objective",
    "intervention": "intervention",
}


@register.filter
def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


@register.filter
def comments_on(page, anchor: str) -> list:
    """Unresolved comments anchored at "kind:key", e.g. "objective:<lineage>" or "section:narrative"."""
    return page.comments.get(anchor, [])


@register.simple_tag
def anchor(kind: str, key) -> str:
    return f"{kind}:{key}"


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key)


@register.filter
def anchor_id(anchor: str) -> str:
    """The HTML id part for an anchor ("objective:<lineage>" -> "objective-<lineage>")."""
    return str(anchor).replace(":", "-")
