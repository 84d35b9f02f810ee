"""E-mail addresses typed into one field (an invoice e-mail's To, a report schedule's or a trigger's extra
addresses): one rule for what separates them and what each must be."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

SEPARATORS = re.compile(r"[\s,;]+")


def addresses(text, *, at_most=None):
    """The addresses in `text` (commas, semicolons, spaces or lines between them), each checked, in the order
    written and each once. A ValueError names the first that is not an address, or says there are too many."""
    found = list(dict.fromkeys(part for part in SEPARATORS.split(text or "") if part))
    if at_most is not None and len(found) > at_most:
        raise ValueError(f"At most {at_most} addresses at once.")
    for address in found:
        try:
            validate_email(address)
        except ValidationError:
            raise ValueError(f'"{address}" is not an e-mail address.') from None
    return found
