from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from timetracker.api.base import ApiView
from timetracker.api.error_serializers import errors


class MeView(ApiView):
    """Who the key (or session) acts as, and with which role."""

    @extend_schema(
        responses={
            200: inline_serializer(
                "Me",
                {
                    "id": serializers.IntegerField(),
                    "username": serializers.CharField(),
                    "name": serializers.CharField(),
                    "role": serializers.CharField(),
                    "time_zone": serializers.CharField(),
                },
            ),
            **errors(),
        }
    )
    def get(self, request):
        user = request.user
        return Response(
            {
                "id": user.pk,
                "username": user.username,
                "name": str(user),
                "role": user.role,
                "time_zone": user.time_zone,
            }
        )


urlpatterns = [path("me", MeView.as_view(), name="me")]
