"""The HTTP side of a sync: one httpx client per run, with timeouts, retries that honour the provider's
Retry-After, and a spent quota turned into a deferred run instead of a worker asleep for an hour.

- 429 with a short wait (up to MAX_WAIT seconds), 500/502/503/504, timeouts and dropped connections are retried
  with backoff, at most MAX_ATTEMPTS times;
- a 429 asking for a longer wait, Toggl's 402 (its hourly quota) or retries that run out raise QuotaExhausted:
  the run stops before writing anything and resumes later;
- 401/403 raise AuthFailed; any other error status a SyncError quoting the start of the body.

Credentials travel only in headers, which are never logged or stored: messages name the path, not the URL's
query or headers.
"""

import email.utils
import time
from datetime import UTC, datetime, timedelta

import httpx
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MAX_ATTEMPTS = 5
MAX_WAIT = 60  # seconds a run may wait in the worker; longer and it is deferred
QUOTA_PAUSE = timedelta(hours=1)  # a 402 without Retry-After: Toggl's quota is counted over a sliding hour
RETRY_STATUSES = {500, 502, 503, 504}


class SyncError(Exception):
    """A sync cannot go on; the message says why, for the connection page."""


class AuthFailed(SyncError):
    pass


class QuotaExhausted(SyncError):
    def __init__(self, message, resume_at):
        super().__init__(message)
        self.resume_at = resume_at


class _Retry(Exception):
    """One failed attempt worth repeating, with the wait the provider asked for (or None: back off)."""

    def __init__(self, message, wait=None):
        super().__init__(message)
        self.wait = wait


def asked_wait(response, now=None):
    """Seconds the provider asks us to wait: Retry-After (seconds or an HTTP date) or X-RateLimit-Reset
    (ClickUp: a Unix time). None when it says nothing."""
    now = now or datetime.now(UTC)
    value = response.headers.get("Retry-After", "").strip()
    if value:
        if value.isdigit():
            return int(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0, int((when - now).total_seconds()) + 1)
    reset = response.headers.get("X-RateLimit-Reset", "").strip()
    if reset.isdigit():
        epoch = int(reset) / (1000 if len(reset) > 11 else 1)  # seconds or milliseconds
        return max(0, int(epoch - now.timestamp()) + 1)
    return None


def backoff(attempt_number):
    return min(30, 2 ** (attempt_number - 1))


class Api:
    def __init__(self, base_url, headers, *, sleep=time.sleep, attempts=None):
        self.base = httpx.URL(base_url.rstrip("/") + "/")
        self.client = httpx.Client(
            base_url=self.base, headers=headers, timeout=TIMEOUT, follow_redirects=False
        )
        self.sleep = sleep
        self.attempts = attempts or MAX_ATTEMPTS
        self.requests = 0

    def close(self):
        self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def get(self, path, **params):
        return self.request("GET", path, params=params)

    def post(self, path, body, **params):
        return self.request("POST", path, json=body, params=params)

    def follow(self, url):
        """A next-page link the provider gave: only to the same server, so the token never goes elsewhere."""
        target = httpx.URL(url)
        if (target.scheme, target.host, target.port) != (self.base.scheme, self.base.host, self.base.port):
            raise SyncError(f"The provider's next page points at another server ({target.host}); stopped.")
        return self.request("GET", target)

    def request(self, method, url, **kwargs):
        def wait(state):
            error = state.outcome.exception()
            asked = getattr(error, "wait", None)
            return asked if asked is not None else backoff(state.attempt_number)

        retrying = Retrying(
            retry=retry_if_exception_type((_Retry, httpx.TransportError)),
            stop=stop_after_attempt(self.attempts),
            wait=wait,
            sleep=self.sleep,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._once(method, url, **kwargs)
        except RetryError as error:
            last = error.last_attempt.exception()
            raise QuotaExhausted(
                f"The provider still failed after {self.attempts} tr{'y' if self.attempts == 1 else 'ies'} ({last}); "
                "the sync resumes later.",
                datetime.now(UTC) + timedelta(minutes=15),
            ) from None

    def _once(self, method, url, **kwargs):
        self.requests += 1
        response = self.client.request(method, url, **kwargs)
        status = response.status_code
        if status < 400:
            return response
        where = f"{method} {response.request.url.path}"  # not the query: it may carry a provider's ids
        wait = asked_wait(response)
        if status == 402 or (status == 429 and wait is not None and wait > MAX_WAIT):
            resume = datetime.now(UTC) + (timedelta(seconds=wait) if wait else QUOTA_PAUSE)
            raise QuotaExhausted(
                f"The provider's request quota is spent (HTTP {status} on {where}); the sync resumes after "
                f"{resume:%H:%M} UTC.",
                resume,
            )
        if status == 429:
            raise _Retry(f"HTTP 429 on {where}", wait)
        if status in RETRY_STATUSES:
            raise _Retry(f"HTTP {status} on {where}")
        if status in (401, 403):
            raise AuthFailed(
                f"The provider refused the credentials (HTTP {status} on {where}): check the token."
            )
        raise SyncError(f"HTTP {status} on {where}: {_excerpt(response)}")


def _excerpt(response):
    text = response.text.strip().replace("\n", " ")
    return text[:200] or "(no body)"
