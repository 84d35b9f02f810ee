"""Rounding tracked time to billing intervals."""

from dataclasses import dataclass

MODES = ("nearest", "up", "down")
INTERVALS = (1, 5, 6, 10, 15, 30, 60)


def _check(mode: object, interval_minutes: object) -> None:
    if mode not in MODES:
        raise ValueError(f'Unknown rounding mode "{mode}": use one of {", ".join(MODES)}')
    # Membership alone would let 15.0 and True (an int subclass equal to 1) through.
    if (
        isinstance(interval_minutes, bool)
        or not isinstance(interval_minutes, int)
        or interval_minutes not in INTERVALS
    ):
        allowed = ", ".join(map(str, INTERVALS))
        raise ValueError(f'Unsupported rounding interval "{interval_minutes}": use one of {allowed} minutes')


def round_seconds(seconds: int, mode: str, interval_minutes: int) -> int:
    """Round seconds to a multiple of the interval; "nearest" rounds exact halves up."""
    _check(mode, interval_minutes)
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        raise ValueError(f"Cannot round {seconds!r}: expected whole seconds (int)")
    if seconds < 0:
        raise ValueError(f'Cannot round "{seconds}" seconds: tracked time cannot be negative')
    step = interval_minutes * 60
    whole, rest = divmod(seconds, step)
    if rest and (mode == "up" or (mode == "nearest" and 2 * rest >= step)):
        whole += 1
    return whole * step


def _interval_text(minutes: int) -> str:
    if minutes == 60:
        return "1 hour"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


@dataclass(frozen=True)
class RoundingPolicy:
    enabled: bool = False
    mode: str = "nearest"
    interval_minutes: int = 15

    def __post_init__(self) -> None:
        # Validated even while disabled, so switching rounding on never reveals a stored bad value.
        _check(self.mode, self.interval_minutes)

    def apply(self, seconds: int) -> int:
        if not self.enabled:
            return seconds
        return round_seconds(seconds, self.mode, self.interval_minutes)

    def describe(self) -> str:
        if not self.enabled:
            return "No rounding"
        interval = _interval_text(self.interval_minutes)
        if self.mode == "nearest":
            return f"Round to the nearest {interval}"
        return f"Round {self.mode} to {interval}"
