from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from timetracker.accounts.models import people_with_roles, visible_users
from timetracker.api.base import ApiView
from timetracker.api.error_serializers import errors, with_errors
from timetracker.api.work import ApiGenericView, check_params


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


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="__str__")
    time_zone = serializers.CharField()


class UserListView(ApiGenericView):
    """The team members whose ids `user_id` takes: everyone for Managers and Admins, yourself for Staff."""

    @extend_schema(responses=with_errors({200: UserSerializer(many=True)}, 400))
    def get(self, request):
        check_params(request, [])
        people = people_with_roles() & visible_users(request.user)
        return self.paginated(people.order_by("username", "pk"), UserSerializer)


urlpatterns = [
    path("me", MeView.as_view(), name="me"),
    path("users", UserListView.as_view(), name="users"),
]
