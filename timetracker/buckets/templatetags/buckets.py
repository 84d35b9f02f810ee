from django import template

from timetracker.lib.durations import format_duration

register = template.Library()


@register.inclusion_tag("includes/_usage_bar.html")
def usage_bar(usage, bucket):
    """A bucket's usage bar: green, amber past its first alert threshold, red once over."""
    thresholds = sorted(bucket.thresholds or [])
    if usage.is_over:
        state = "over"
    elif thresholds and usage.reached(thresholds[0]):
        state = "warn"
    else:
        state = "ok"
    return {
        "state": state,
        "width": min(usage.percent_used, 100),
        "percent": usage.percent_used,
        "used": format_duration(usage.used_seconds),
        "available": format_duration(usage.available_seconds),
        "remaining": format_duration(usage.remaining_seconds),
        "is_over": usage.is_over,
    }
