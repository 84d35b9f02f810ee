"""What every API view shares: key or session auth, role scoping, the error shape, pagination."""

from django.contrib.auth.decorators import login_not_required
from rest_framework import viewsets
from rest_framework.views import APIView

from timetracker.api.permissions import HasRole


class ApiMixin:
    permission_classes = [HasRole]

    @classmethod
    def as_view(cls, *args, **kwargs):
        # The site-wide login requirement redirects to the login page; the API answers 401 itself instead.
        return login_not_required(super().as_view(*args, **kwargs))


class ApiView(ApiMixin, APIView):
    pass


class ApiViewSet(ApiMixin, viewsets.GenericViewSet):
    pass
