from django import template

from timetracker.lib.durations import format_duration

register = template.Library()


@register.filter
def duration(seconds, style="hm"):
    """{{ entry.rounded_seconds|duration }} -> "1h 30m"; |duration:"clock" -> "1:30"; |duration:"decimal"."""
    if seconds in (None, ""):
        return ""
    return format_duration(int(seconds), style)
