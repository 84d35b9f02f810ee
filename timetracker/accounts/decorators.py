"""Who may open a view, written once: the role rules live on User (is_manager, is_admin); these turn them into
a 403 that says why, on pages (the API has its own permission classes in api/permissions.py)."""

from functools import wraps

from django.core.exceptions import PermissionDenied


def require_manager(user, reason="This is for Managers and Admins."):
    """Inside a view that only Managers and Admins may use (or only for some of its requests)."""
    if not user.is_manager:
        raise PermissionDenied(reason)


def require_admin(user, reason="This is for Admins."):
    if not user.is_admin:
        raise PermissionDenied(reason)


def manager_required(reason="This is for Managers and Admins."):
    """@manager_required("Why, in words a Staff member understands."): the view answers 403 to anyone else."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            require_manager(request.user, reason)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
