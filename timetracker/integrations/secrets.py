"""Credentials at rest: encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) under keys from
the environment, and never shown again once saved.

CREDENTIALS_KEY holds one or more Fernet keys separated by commas: the first encrypts, all of them decrypt, so a
key is rotated by putting the new one first and running `manage.py rotate_credentials` (re-encrypts every
connection's token and every webhook's signing secret). Without it, a key is derived from SECRET_KEY: changing
SECRET_KEY then makes saved credentials unreadable, and each connection says so and asks for its token again.
"""

import base64
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class Unreadable(Exception):
    """The stored credentials cannot be decrypted with the keys this server has."""


def _derived_key():
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"timetracker credentials", info=b"fernet")
    return base64.urlsafe_b64encode(hkdf.derive(settings.SECRET_KEY.encode()))


def _fernet():
    keys = [key.strip() for key in settings.CREDENTIALS_KEY.split(",") if key.strip()]
    return MultiFernet([Fernet(key) for key in keys] or [Fernet(_derived_key())])


def seal(credentials):
    """A dict of secrets as one opaque string for the database."""
    return _fernet().encrypt(json.dumps(credentials, sort_keys=True).encode()).decode()


def unseal(sealed):
    if not sealed:
        return {}
    try:
        return json.loads(_fernet().decrypt(sealed.encode()))
    except InvalidToken as error:
        raise Unreadable(
            "The saved credentials cannot be read with this server's CREDENTIALS_KEY (or SECRET_KEY): "
            "enter the token again."
        ) from error


def reseal(sealed):
    """The same secrets under the first (newest) key (`manage.py rotate_credentials`)."""
    try:
        return _fernet().rotate(sealed.encode()).decode() if sealed else sealed
    except InvalidToken as error:
        raise Unreadable("Not readable with any key of CREDENTIALS_KEY.") from error


def hint(token):
    """Enough of a token to tell two apart, never enough to use it."""
    token = str(token or "")
    return f"…{token[-4:]}" if len(token) >= 12 else "…"
