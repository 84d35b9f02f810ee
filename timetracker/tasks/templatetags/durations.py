from django import template

from timetracker.lib.durations import format_duration
from timetracker.tasks import timer
from timetracker.tasks.choices import TimerMode

register = template.Library()


@register.filter
def duration(seconds, style="hm"):
    """{{ entry.rounded_seconds|duration }} -> "1h 30m"; |duration:"clock" -> "1:30"; |duration:"decimal"."""
    if seconds in (None, ""):
        return ""
    return format_duration(int(seconds), style)


@register.inclusion_tag("tasks/_clock.html")
def clock(entry, big=False):
    """A live clock for a running entry. The server says what it shows now; the browser only adds seconds,
    so a wrong clock on the user's computer cannot skew it."""
    seconds = timer.seconds_shown(entry)
    return {
        "seconds": seconds,
        "direction": -1 if entry.timer_mode == TimerMode.DOWN and entry.task.bucket_id else 1,
        "ticking": not entry.is_paused,
        "big": big,
        "text": _hms(seconds),
    }


def _hms(seconds):
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
