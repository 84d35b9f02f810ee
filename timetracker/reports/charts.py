"""Chart geometry for the report's SVG partials: numbers only, drawn by templates (no style attributes)."""

from timetracker.lib.durations import format_duration

WIDTH, HEIGHT = 1200, 160


def stacked(unit, steps):
    """Billable under non-billable bars per step: [(x, width, billable rect, other rect, title)]."""
    if not steps:
        return []
    top = max(billable + other for _, billable, other in steps) or 1
    step = WIDTH / len(steps)
    width = round(max(step - (4 if len(steps) < 80 else 1), 1), 2)
    bars = []
    for index, (day, billable, other) in enumerate(steps):
        b_height = HEIGHT * billable / top
        o_height = HEIGHT * other / top
        when = (
            f"{day:%a %d %b}"
            if unit == "day"
            else f"week of {day:%d %b}"
            if unit == "week"
            else f"{day:%b %Y}"
        )
        bars.append(
            {
                "x": round(index * step, 2),
                "width": width,
                "billable_y": round(HEIGHT - b_height, 2),
                "billable_h": round(b_height, 2),
                "other_y": round(HEIGHT - b_height - o_height, 2),
                "other_h": round(o_height, 2),
                "title": f"{when}: {format_duration(billable)} billable, {format_duration(other)} non-billable",
            }
        )
    return bars


def shares(rows):
    """Each row's rounded time as a percentage of the largest row: the bar drawn beside it."""
    top = max((row.figures.rounded for row in rows), default=0) or 1
    return {id(row): round(100 * row.figures.rounded / top, 1) for row in rows}
