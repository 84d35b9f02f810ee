from django import template

register = template.Library()


@register.inclusion_tag("includes/_sort_header.html", takes_context=True)
def sort_header(context, key, label, numeric=False):
    """A column header that sorts by `key`, flipping direction when it already does; the page starts over."""
    request = context["request"]
    current = context.get("sort", "")
    params = request.GET.copy()
    params.pop("page", None)
    descending_now = current == f"-{key}"
    params["sort"] = key if descending_now else f"-{key}"
    return {
        "href": f"?{params.urlencode()}",
        "label": label,
        "numeric": numeric,
        "state": "descending" if descending_now else "ascending" if current == key else "none",
    }
