"""Server-rendered bar charts: geometry only, drawn as SVG by a template (no chart library, no CDN)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: float


def bars(points, *, width=600, height=160, gap=2):
    """Lay out (label, value) points as bars filling width x height, tallest bar at full height."""
    points = list(points)
    if not points:
        return []
    if any(value < 0 for _, value in points):
        raise ValueError("Bar values cannot be negative.")
    top = max(value for _, value in points) or 1
    step = width / len(points)
    bar_width = max(step - gap, 1)
    result = []
    for index, (label, value) in enumerate(points):
        bar_height = height * value / top
        result.append(
            Bar(
                x=round(index * step, 2),
                y=round(height - bar_height, 2),
                width=round(bar_width, 2),
                height=round(bar_height, 2),
                label=label,
                value=value,
            )
        )
    return result
