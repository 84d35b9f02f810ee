"""Locks out guessing: failed sign-ins per account and per client address, bad API keys per address.

Counts live in Django's cache (settings.CACHES; several workers need a shared one). Each rule in
settings.THROTTLES allows `limit` failures within `seconds` of the first; the failure that reaches the limit
locks that account or address for `seconds`. While locked, attempts are refused before any password or key is
checked and are not counted: a locked-out guesser learns nothing, and the lock still ends on time.
"""

import hashlib
import ipaddress
import math

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

# Rules settings.THROTTLES may leave out. A key's requests: enough for a busy sync script, not for a runaway loop.
DEFAULTS = {"api_key_requests": {"limit": 600, "seconds": 60}}


def _rule(name):
    rule = settings.THROTTLES.get(name) or DEFAULTS[name]
    return rule["limit"], rule["seconds"]


def _key(name, subject):
    # Hashed: usernames and addresses stay out of the cache, and any string makes a valid cache key.
    return f"throttle:{name}:{hashlib.sha256(subject.encode()).hexdigest()}"


def wait(name, subject):
    """Seconds until `subject` may try again under rule `name`; 0 when it is not locked."""
    until = cache.get(_key(name, subject) + ":locked")
    if until is None:
        return 0
    return max(0, math.ceil(until - timezone.now().timestamp()))


def fail(name, subject):
    """Count one failure; return the lock's length in seconds if this failure reached the limit, else 0."""
    limit, seconds = _rule(name)
    key = _key(name, subject)
    # add + incr rather than get + set: incr is atomic in memory, Redis and memcached, so parallel guesses
    # cannot overwrite each other's counts.
    cache.add(key, 0, seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ran out between add and incr
        cache.add(key, 1, seconds)
        count = 1
    if count < limit:
        return 0
    cache.set(key + ":locked", timezone.now().timestamp() + seconds, seconds)
    cache.delete(key)
    return seconds


def reset(name, subject):
    cache.delete(_key(name, subject))


def client_address(request):
    """The address a request came from, as the throttles count it."""
    address = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.BEHIND_TLS_PROXY and forwarded:
        # The proxy appends the address it saw; whatever stands left of it came from the client and can be forged.
        address = forwarded.split(",")[-1].strip()
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        # One IPv6 subscriber usually holds a whole /64: counting single addresses would let it rotate freely.
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _minutes(seconds):
    minutes = max(1, math.ceil(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def login_refusal(request, username):
    """Why this sign-in may not even be tried, or None: its account or its address is locked."""
    if seconds := wait("login_account", username.casefold()):
        return f"Too many failed sign-ins for this account. Try again in {_minutes(seconds)}."
    if request is not None and (seconds := wait("login_address", client_address(request))):
        return f"Too many failed sign-ins from your network address. Try again in {_minutes(seconds)}."
    return None


def login_failed(request, username):
    """Count a failed sign-in for the account (case-insensitive) and the address; the refusal if now locked."""
    fail("login_account", username.casefold())
    if request is not None:
        fail("login_address", client_address(request))
    return login_refusal(request, username)


def login_succeeded(username):
    # Only the account's count: resetting the address on success would let a guesser with an account of his
    # own clear his address between guesses at others.
    reset("login_account", username.casefold())


def api_key_wait(request):
    return wait("api_key_address", client_address(request))


def api_key_failed(request):
    return fail("api_key_address", client_address(request))


def api_key_rate():
    """The per-key rule in words, as the profile page and the docs state it."""
    limit, seconds = _rule("api_key_requests")
    return f"{limit} requests per {seconds} seconds"


def api_key_request(key):
    """Count one request made with `key` (an ApiKey) in its current window (rule api_key_requests); the seconds
    until the window ends when this one is over the limit, else 0. Counted by the key's lookup, which is unique
    and random, so two keys never share a count."""
    limit, seconds = _rule("api_key_requests")
    now = timezone.now().timestamp()
    # Fixed windows, numbered in the key: a cache whose incr re-sets the lifetime (the database cache's is a get
    # and a set) cannot stretch a window past its end, and the next window starts from zero.
    window = int(now // seconds)
    subject = _key("api_key_requests", f"{key.lookup}:{window}")
    cache.add(subject, 0, seconds * 2)
    try:
        count = cache.incr(subject)
    except ValueError:  # evicted between add and incr
        cache.add(subject, 1, seconds * 2)
        count = 1
    if count <= limit:
        return 0
    return max(1, math.ceil((window + 1) * seconds - now))
