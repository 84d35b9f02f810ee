"""Forms that record once: a double click posts a form twice, and the second post must write nothing.

A form that records something carries a hidden one-time token (FIELD, from `token_for`). The view claims the
token with `claim()` inside the transaction of its write; the unique (user, token) row of OnceToken makes a
second claim fail in any process (a cache entry could be lost between processes). The repeat then answers as
the first post did, without writing. A form shown again with errors keeps its token.
"""

import re
import uuid
from contextlib import contextmanager

from django.db import IntegrityError, transaction

from timetracker.accounts.models import OnceToken, User

FIELD = "once_token"
_SHAPE = re.compile(r"[0-9a-f]{32}")


def new_token():
    return uuid.uuid4().hex


def posted(request):
    """The token the form came with: "" when it had none. Pages rendered before tokens existed, and scripts,
    still post without one; they simply get no protection from double submits."""
    return request.POST.get(FIELD, "")


def token_for(request):
    """The token to render into the form: the posted one when the form comes back with errors, else new."""
    token = posted(request)
    return token if _SHAPE.fullmatch(token) else new_token()


def well_formed(request, form):
    """False, with an error on `form` naming the field, when the posted token is not one we handed out."""
    token = posted(request)
    if token and not _SHAPE.fullmatch(token):
        form.add_error(
            None, f"{FIELD}: this form was out of date and nothing was saved; please submit it again."
        )
        return False
    return True


def claim(user, token):
    """Record `token` as used by `user`, in the caller's transaction. False when it was used before: the form
    was handled already and must write nothing. Call it before the write, inside the same atomic block, so a
    write that fails also frees the token."""
    if not token:
        return True
    # The user's row lock first (the write path's lock order starts there): the token row's reference to the
    # user takes a shared lock on it, which two posts at once could otherwise both hold and then deadlock on.
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk"))
    try:
        # A savepoint: a refused insert must leave the caller's transaction usable.
        with transaction.atomic():
            OnceToken.objects.create(user=user, token=token)
    except IntegrityError:
        return False
    return True


@contextmanager
def first_time(user, token):
    """`with once.first_time(user, token) as first:` a transaction that claims the token; write only when
    `first`. An exception in the block rolls the claim back with the write, so the form can be sent again."""
    with transaction.atomic():
        yield claim(user, token)


def used(user, token):
    return bool(token) and OnceToken.objects.filter(user=user, token=token).exists()
