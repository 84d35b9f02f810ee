import pytest
from django.contrib.auth.models import Group

from tests.factories import UserFactory
from timetracker.accounts.models import ApiKey, Role

pytestmark = pytest.mark.django_db


def test_the_three_role_groups_exist_after_migrating():
    assert set(Group.objects.values_list("name", flat=True)) >= {"Admin", "Manager", "Staff"}


def test_roles_follow_group_membership(alice, dana, bob, charlie):
    assert (alice.role, dana.role, bob.role, charlie.role) == (Role.ADMIN, Role.MANAGER, Role.STAFF, None)
    assert alice.sees_everyone and dana.sees_everyone
    assert not bob.sees_everyone
    assert bob.has_role and not charlie.has_role


def test_an_inactive_user_has_no_role():
    assert not UserFactory(role="Manager", is_active=False).has_role


def test_a_superuser_is_an_admin_without_any_group():
    assert UserFactory(is_superuser=True).role == Role.ADMIN


def test_an_api_key_is_shown_once_and_stored_only_as_a_hash(bob):
    key, raw = ApiKey.issue(user=bob, name="Deploy script")
    assert raw.startswith("tt_") and len(raw) > 40
    key.refresh_from_db()
    assert raw not in (key.hashed_key, key.lookup)
    assert key.hashed_key == ApiKey.hash(raw)


def test_an_api_key_authenticates_its_user_until_revoked(bob):
    key, raw = ApiKey.issue(user=bob, name="Deploy script")
    found = ApiKey.authenticate(raw)
    assert found.user == bob
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert ApiKey.authenticate(raw[:-1] + ("x" if raw[-1] != "x" else "y")) is None
    key.revoked_at = key.created_at
    key.save()
    assert ApiKey.authenticate(raw) is None
