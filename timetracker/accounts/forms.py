"""The sign-in forms of the site and of the admin, both throttled (accounts/throttle.py)."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from timetracker.accounts import throttle


class ThrottledLogin:
    """Refuses sign-ins for a locked account or address before checking the password, and counts failures."""

    def clean(self):
        username = self.cleaned_data.get("username")
        if not username or not self.cleaned_data.get("password"):
            return super().clean()  # a missing field: nothing was tried, so nothing to count
        if refusal := throttle.login_refusal(self.request, username):
            raise ValidationError(refusal, code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            # The right password for an account that may not use this login (not staff, on the admin) is no
            # guess: only count when authentication itself failed.
            if self.user_cache is None and (refusal := throttle.login_failed(self.request, username)):
                raise ValidationError(refusal, code="throttled") from None
            raise
        throttle.login_succeeded(username)
        return cleaned


class LoginForm(ThrottledLogin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLogin, AdminAuthenticationForm):
    pass
