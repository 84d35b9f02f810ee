"""Invoice numbers from a format such as "{Y}-{seq:4}"."""

import re

_TOKEN = re.compile(r"\{(Y|y|M|seq(?::(\d))?)\}")


def format_invoice_number(fmt, *, year, month, seq):
    """Fill in {Y} (2026), {y} (26), {M} (01) and {seq} / {seq:N} (zero-padded to N digits)."""
    if "{seq" not in fmt:
        raise ValueError(f'Invoice number format "{fmt}" needs a {{seq}} part, or numbers would repeat.')
    leftover = _TOKEN.sub("", fmt)
    if "{" in leftover or "}" in leftover:
        raise ValueError(
            f'Invoice number format "{fmt}" has an unknown part; use {{Y}}, {{y}}, {{M}} and {{seq:N}}.'
        )

    def fill(match):
        token = match.group(1)
        if token == "Y":
            return f"{year:04d}"
        if token == "y":
            return f"{year % 100:02d}"
        if token == "M":
            return f"{month:02d}"
        return str(seq).zfill(int(match.group(2) or 1))

    return _TOKEN.sub(fill, fmt)
