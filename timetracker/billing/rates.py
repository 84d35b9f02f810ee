"""Which hourly rate applies to a piece of work, by the spec's precedence."""

from timetracker.tasks.choices import RateSource


def resolve_rate(*, task, user, settings, override=None):
    """Return (rate, source): the first rate set along entry > task > project > bucket > client > user > global."""
    candidates = [
        (override, RateSource.ENTRY),
        (task.hourly_rate, RateSource.TASK),
        (task.project.hourly_rate if task.project_id else None, RateSource.PROJECT),
        (task.bucket.hourly_price if task.bucket_id else None, RateSource.BUCKET),
        (task.client.hourly_rate, RateSource.CLIENT),
        (user.default_hourly_rate, RateSource.USER),
        (settings.default_hourly_rate, RateSource.GLOBAL),
    ]
    for rate, source in candidates:
        if rate is not None:
            return rate, source
    return None, RateSource.NONE
