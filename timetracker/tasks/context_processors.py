from timetracker.tasks.timer import running_entry


def running_timer(request):
    """The header stopwatch on every page needs the user's running entry: one query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"running_entry": running_entry(user)}
