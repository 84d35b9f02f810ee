import hashlib
import secrets
from datetime import timedelta
from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone


class Role(models.TextChoices):
    """Roles are Django groups (created by a data migration) so admins manage them in the admin."""

    ADMIN = "Admin"
    MANAGER = "Manager"
    STAFF = "Staff"


class User(AbstractUser):
    time_zone = models.CharField(max_length=64, default=settings.TIME_ZONE)
    default_hourly_rate = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Used when nothing more specific is set.",
    )

    objects = UserManager()

    class Meta:
        ordering = ["first_name", "last_name", "username"]

    def __str__(self):
        return self.get_full_name() or self.username

    @cached_property
    def role_names(self):
        return frozenset(self.groups.values_list("name", flat=True))

    @property
    def is_admin(self):
        return self.is_superuser or Role.ADMIN in self.role_names

    @property
    def is_manager(self):
        return self.is_admin or Role.MANAGER in self.role_names

    @property
    def has_role(self):
        """Users outside the three groups (or inactive) see no agency data at all."""
        return self.is_active and (self.is_superuser or bool(self.role_names & set(Role.values)))

    @property
    def sees_everyone(self):
        """Managers and Admins see everyone's time; Staff see their own. A deactivated Manager sees nothing:
        their share links and scheduled reports run as them and must stop showing the agency's time."""
        return self.has_role and self.is_manager

    @property
    def role(self):
        if self.is_admin:
            return Role.ADMIN
        if self.is_manager:
            return Role.MANAGER
        if self.has_role:
            return Role.STAFF
        return None


def people_with_roles():
    """Active users in one of the three roles (or superusers): User.has_role, asked of the database at once."""
    roles = Q(is_superuser=True) | Q(
        Exists(User.groups.through.objects.filter(user=OuterRef("pk"), group__name__in=Role.values))
    )
    return User.objects.filter(roles, is_active=True)


def visible_users(user):
    """The people whose time `user` may see (TimeEntry.objects.for_user): everyone for Managers and Admins,
    else themselves. The reports' filters and the API's user_id read it."""
    return User.objects.all() if user.sees_everyone else User.objects.filter(pk=user.pk)


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKeyScope(models.TextChoices):
    """What a key may do, within its user's role (a scope never adds rights the role lacks)."""

    FULL = "full", "Full: everything your role allows"
    TIME = "time", "Time only: read everything, write time entries and timers"
    READ = "read", "Read only: no changes"


class ApiKey(models.Model):
    """A bearer key for the REST API. Only a SHA-256 hash is stored; the key is shown once."""

    PREFIX = "tt_"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    # The first characters let a user tell keys apart without storing the secret.
    lookup = models.CharField(max_length=12, unique=True)
    hashed_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    scope = models.CharField(max_length=8, choices=ApiKeyScope.choices, default=ApiKeyScope.FULL)
    # None: the key works until revoked. From this moment on, it is refused (401) with a message saying so.
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self):
        return f"{self.name} ({self.lookup}…)"

    @staticmethod
    def hash(raw_key):
        return hashlib.sha256(raw_key.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user, name, scope=ApiKeyScope.FULL, expires_at=None):
        """Create a key and return (api_key, raw_key); the raw key is never stored."""
        raw_key = cls.PREFIX + secrets.token_urlsafe(32)
        key = cls.objects.create(
            user=user,
            name=name,
            lookup=raw_key[:12],
            hashed_key=cls.hash(raw_key),
            scope=scope,
            expires_at=expires_at,
        )
        return key, raw_key

    @classmethod
    def authenticate(cls, raw_key):
        """The active key of an active user for `raw_key`, expired or not (the caller says which), or None."""
        key = (
            cls.objects.active()
            .select_related("user")
            .filter(lookup=raw_key[:12], hashed_key=cls.hash(raw_key), user__is_active=True)
            .first()
        )
        if key and not key.is_expired():
            cls.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        return key

    def is_expired(self, now=None):
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def allows(self, *, write, time_write):
        """Whether this key's scope allows the request: any read; a write if full, or a time write if time-only."""
        if not write or self.scope == ApiKeyScope.FULL:
            return True
        return self.scope == ApiKeyScope.TIME and time_write


class OnceToken(models.Model):
    """A form's one-time token, stored in the same transaction as what the form wrote (accounts.once).

    The unique (user, token) pair is what stops a double submit: a second insert fails in every process, even
    while the first is still uncommitted (PostgreSQL makes it wait for the first to finish)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "token"], name="once_token_per_user")]

    def __str__(self):
        return f"{self.user_id}:{self.token}"


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` of an API POST and the answer its first request got (api/idempotency.py).

    Stored in the transaction that did the work: the unique (user, key) pair makes a second request with the
    same key wait for the first (PostgreSQL) and then find its answer, so a retried create never creates twice.
    Only successful answers are kept (a refusal rolls the row back with the work); keys expire after a day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # What the key was first used for: method, path and a hash of the body; the same key for another request
    # is refused rather than answered with someone else's result.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField(encoder=DjangoJSONEncoder, null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    LIFETIME = timedelta(hours=24)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")]

    def __str__(self):
        return f"{self.user_id}:{self.key}"

    @classmethod
    def forget_expired(cls, *, user=None):
        """Delete the keys older than LIFETIME: one user's before their keyed POST, everyone's on the minute's
        tick (`manage.py run_schedules`), so the table holds about a day of requests. Returns how many went."""
        expired = cls.objects.filter(created_at__lt=timezone.now() - cls.LIFETIME)
        return (expired.filter(user=user) if user is not None else expired).delete()[0]
