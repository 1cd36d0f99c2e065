"""`{% fragment key %}…{% endfragment %}`: the enclosed part comes from the page's prefetched
fragments (core/fragments.py, in the context as `fragments`) when its key is there, and is rendered
and kept for the page's `set_many` otherwise. Without a store or a key it is simply rendered."""

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


class FragmentNode(template.Node):
    def __init__(self, key: template.base.FilterExpression, nodelist: template.NodeList):
        self.key = key
        self.nodelist = nodelist

    def render(self, context) -> str:
        store = context.get("fragments")
        fragment_key = self.key.resolve(context)
        if store is None or not fragment_key:
            return self.nodelist.render(context)
        html = store.get(fragment_key)
        if html is None:
            html = self.nodelist.render(context)
            store.put(fragment_key, str(html))
        # Our own rendered template output, escaped when it was rendered.
        return mark_safe(html)  # noqa: S308  # nosec B308, B703


@register.tag
def fragment(parser, token):
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("{% fragment key %} takes one argument, the fragment's key.")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(parser.compile_filter(bits[1]), nodelist)
