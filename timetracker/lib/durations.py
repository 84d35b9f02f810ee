"""Reading durations the way people type them, and writing them back for display."""

import re
from decimal import ROUND_HALF_UP, Decimal

MAX_HOURS = 10_000
MAX_SECONDS = MAX_HOURS * 3600
STYLES = ("hm", "clock", "decimal")

_UNIT_SECONDS = {
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
}
_UNIT_NAMES = {3600: "hours", 60: "minutes", 1: "seconds"}

# [0-9] rather than \d: \d also matches other scripts' digits, which nobody means to type here.
_NUMBER = r"[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+"
_CLOCK = re.compile(r"([0-9]+):([0-9]{2})(?::([0-9]{2}))?")
_LOOSE_CLOCK = re.compile(r"[0-9]+(?::[0-9]+){1,2}")
_DECIMAL_HOURS = re.compile(_NUMBER)
_TOKEN = re.compile(rf"({_NUMBER})\s*([a-z]+)")
_TOKENS = re.compile(rf"(?:(?:{_NUMBER})\s*[a-z]+\s*)+")


def _fail(text: object, reason: str) -> ValueError:
    shown = f'"{text}"' if isinstance(text, str) else repr(text)
    return ValueError(f"Cannot read {shown} as a duration: {reason}")


def _decimal(number: str) -> Decimal:
    return Decimal(number.replace(",", "."))


def parse_duration(text: str) -> int:
    """Return whole seconds for `1:30`, `1:30:15`, `1h 30m`, `90 min`, `1.5`/`1,5` (hours), ..."""
    if not isinstance(text, str):
        raise _fail(text, f"expected text, got {type(text).__name__}")
    cleaned = text.strip().lower()
    if not cleaned:
        raise _fail(text, "it is empty")
    if cleaned.startswith("-"):
        raise _fail(text, "durations cannot be negative")

    if clock := _CLOCK.fullmatch(cleaned):
        hours, minutes, seconds = clock.groups()
        if int(minutes) >= 60:
            raise _fail(text, "minutes must be below 60")
        if seconds is not None and int(seconds) >= 60:
            raise _fail(text, "seconds must be below 60")
        total = Decimal(int(hours) * 3600 + int(minutes) * 60 + int(seconds or 0))
    elif _LOOSE_CLOCK.fullmatch(cleaned):
        # "1:5" could mean 1:05 or 1:50; guessing would book the wrong time.
        raise _fail(text, 'minutes and seconds need two digits, like "1:05"')
    elif _DECIMAL_HOURS.fullmatch(cleaned):
        total = _decimal(cleaned) * 3600
    elif _TOKENS.fullmatch(cleaned):
        total = Decimal(0)
        seen: set[int] = set()
        for number, unit in _TOKEN.findall(cleaned):
            if unit not in _UNIT_SECONDS:
                raise _fail(text, f'unknown unit "{unit}" (use h, m or s)')
            factor = _UNIT_SECONDS[unit]
            if factor in seen:
                raise _fail(text, f"{_UNIT_NAMES[factor]} are given more than once")
            seen.add(factor)
            total += _decimal(number) * factor
    else:
        raise _fail(text, 'expected a form like "1:30", "1h 30m", "90m" or "1.5"')

    # Compare the exact value, so 10000.0001 hours is refused rather than rounded into range.
    if total > MAX_SECONDS:
        raise _fail(text, f"more than {MAX_HOURS:,} hours is not a plausible duration")
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_duration(seconds: int, style: str = "hm") -> str:
    """Write seconds as `1h 30m`, `1:30` or `1.50`; negative values (bucket overrun) get a leading minus."""
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        raise ValueError(f"Cannot format {seconds!r} as a duration: expected whole seconds (int)")
    if style not in STYLES:
        raise ValueError(f'Unknown duration style "{style}": use one of {", ".join(STYLES)}')

    magnitude = abs(seconds)
    if style == "decimal":
        # Integer arithmetic keeps the half-up rounding exact: hundredths of an hour = seconds / 36.
        hundredths = (2 * magnitude + 36) // 72
        body, shown = f"{hundredths // 100}.{hundredths % 100:02d}", hundredths
    else:
        hours, minutes = divmod(magnitude // 60, 60)
        shown = magnitude // 60
        if style == "clock":
            body = f"{hours}:{minutes:02d}"
        elif hours and minutes:
            body = f"{hours}h {minutes}m"
        else:
            body = f"{hours}h" if hours else f"{minutes}m"
    # A few seconds of overrun display as zero; "-0m" would read as a glitch.
    sign = "-" if seconds < 0 and shown else ""
    return sign + body
