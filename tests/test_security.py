"""Production settings: no serving without a secret key, and switches that make `check --deploy` clean.

Each test runs manage.py in a fresh process, because the settings module reads the environment once, at import.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "time.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://time.example.com",
    "SECURE_COOKIES": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "BEHIND_TLS_PROXY": "1",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
}


def manage(tmp_path, *args, **env):
    """Run manage.py with only these settings variables (none inherited from the test run, whose key is set)."""
    base = {
        name: value
        for name, value in os.environ.items()
        if name in ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV")
    }
    base |= {
        "DJANGO_SETTINGS_MODULE": "timetracker.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check_without_a_warning(tmp_path):
    result = manage(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(50),
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_the_switches_the_deploy_check_names_what_is_missing(tmp_path):
    result = manage(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="0",
        ALLOWED_HOSTS="time.example.com",
        EMAIL_BACKEND=PRODUCTION["EMAIL_BACKEND"],
    )
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr


def serve(tmp_path, **env):
    """Load the WSGI application in a fresh process, as gunicorn does when it starts."""
    return manage(tmp_path, "shell", "-c", "import timetracker.wsgi", **env)


def test_without_a_secret_key_and_debug_off_the_app_refuses_to_start(tmp_path):
    for result in (serve(tmp_path, **PRODUCTION), manage(tmp_path, "runserver", "--noreload", **PRODUCTION)):
        assert result.returncode != 0
        last_line = result.stderr.strip().splitlines()[-1]
        assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set")
        assert "secrets.token_urlsafe(50)" in last_line and "DEBUG=1" in last_line
    deploy = manage(tmp_path, "check", "--deploy", **PRODUCTION)
    assert deploy.returncode != 0 and "(timetracker.E001) SECRET_KEY is not set" in deploy.stderr


def test_without_a_key_data_still_loads_but_nothing_signs_with_an_empty_one(tmp_path):
    # A new user's first `manage.py migrate` and `seed_demo` need no key: they sign nothing.
    assert manage(tmp_path, "migrate", "-v0", DEBUG="0").returncode == 0
    seeded = manage(tmp_path, "seed_demo", DEBUG="0")
    assert seeded.returncode == 0, seeded.stderr
    assert "Demo data ready" in seeded.stdout
    signing = manage(tmp_path, "shell", "-c", "from django.core import signing; signing.dumps(1)", DEBUG="0")
    assert signing.returncode != 0 and "SECRET_KEY" in signing.stderr


def test_the_old_public_development_key_is_refused_as_well(tmp_path):
    result = serve(
        tmp_path, SECRET_KEY="django-insecure-dev-only-key-set-SECRET_KEY-in-production", DEBUG="0"
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set (or is the public development key)" in result.stderr


def test_development_with_debug_on_needs_no_key(tmp_path):
    result = manage(tmp_path, "check", DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_a_mistyped_switch_is_refused_with_its_name(tmp_path):
    key = secrets.token_urlsafe(50)
    typo = manage(tmp_path, "check", SECRET_KEY=key, SECURE_SSL_REDIRECT="ture")
    assert typo.returncode != 0
    assert "SECURE_SSL_REDIRECT must be 1 or 0 (or true/false, yes/no, on/off), not 'ture'." in typo.stderr
    number = manage(tmp_path, "check", SECRET_KEY=key, SECURE_HSTS_SECONDS="1 year")
    assert "SECURE_HSTS_SECONDS must be a whole number, not '1 year'." in number.stderr
    cache = manage(tmp_path, "check", SECRET_KEY=key, CACHE_BACKEND="redis")
    assert "CACHE_BACKEND must be one of memory, database, not 'redis'." in cache.stderr


def test_behind_a_tls_proxy_the_forwarded_scheme_counts_as_https(tmp_path):
    script = (
        "from django.test import Client; "
        "r = Client().get('/login/', HTTP_X_FORWARDED_PROTO='https', HTTP_HOST='time.example.com'); "
        "print(r.status_code, r.headers.get('Strict-Transport-Security'))"
    )
    # No collectstatic here, so no manifest of hashed names.
    env = {**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(50), "STATIC_MANIFEST": "0"}
    behind = manage(tmp_path, "shell", "--no-imports", "-c", script, **env)
    assert behind.stdout.split() == ["200", "max-age=31536000;", "includeSubDomains;", "preload"], (
        behind.stderr
    )
    # Without the switch the same request is plain HTTP and is sent to https:// first.
    direct = manage(tmp_path, "shell", "--no-imports", "-c", script, **{**env, "BEHIND_TLS_PROXY": "0"})
    assert direct.stdout.split() == ["301", "None"], direct.stderr
