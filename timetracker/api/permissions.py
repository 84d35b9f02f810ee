from rest_framework import permissions


class HasRole(permissions.BasePermission):
    """Any of the three roles; a login outside them (an outsider) gets 403."""

    message = "Your account has no role in this agency."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.has_role)


class IsManager(permissions.BasePermission):
    message = "Only Managers and Admins may do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_manager)


class ManagersWrite(permissions.BasePermission):
    message = IsManager.message

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or request.user.is_manager


class AdminsWrite(permissions.BasePermission):
    message = "Only Admins may change the global settings."

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or request.user.is_admin
