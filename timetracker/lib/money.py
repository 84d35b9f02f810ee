"""Formatting and reading amounts of money without ever passing through float."""

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

POSITIONS = ("before", "after")
_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]+)?")


@dataclass(frozen=True)
class MoneyFormat:
    symbol: str = "$"
    position: str = "before"
    thousand_separator: str = ","
    decimal_separator: str = "."
    decimal_places: int = 2

    def __post_init__(self) -> None:
        if self.position not in POSITIONS:
            raise ValueError(f'Invalid position "{self.position}": use "before" or "after"')
        if type(self.decimal_places) is not int or not 0 <= self.decimal_places <= 4:
            raise ValueError(f'Invalid decimal_places "{self.decimal_places}": use 0 to 4')
        if not self.decimal_separator:
            raise ValueError('Invalid decimal_separator "": it cannot be empty')
        if self.thousand_separator == self.decimal_separator:
            raise ValueError(
                f'Invalid thousand_separator "{self.thousand_separator}": '
                "it must differ from the decimal_separator"
            )
        # Digits or a minus inside these would make formatted amounts impossible to read back.
        for field in ("symbol", "thousand_separator", "decimal_separator"):
            value = getattr(self, field)
            if not isinstance(value, str) or re.search(r"[0-9-]", value):
                raise ValueError(f'Invalid {field} "{value}": it must be text without digits or "-"')


DEFAULT_FORMAT = MoneyFormat()


def _to_decimal(amount: Decimal | int | str) -> Decimal:
    # Floats are refused outright: 0.1 + 0.2 style errors must not reach an invoice.
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int | str):
        raise ValueError(f"Cannot format {amount!r} as money: expected Decimal, int or str, not float")
    try:
        value = Decimal(amount.strip() if isinstance(amount, str) else amount)
    except InvalidOperation:
        raise ValueError(f'Cannot format "{amount}" as money: it is not a number') from None
    if not value.is_finite():
        raise ValueError(f'Cannot format "{amount}" as money: it is not a finite number')
    return value


def _quantize(value: Decimal, places: int) -> Decimal:
    # The default 28-digit context would raise on large amounts instead of quantizing them.
    with localcontext() as ctx:
        ctx.prec = max(28, value.adjusted() + places + 2)
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_money(amount: Decimal | int | str, fmt: MoneyFormat = DEFAULT_FORMAT) -> str:
    value = _quantize(_to_decimal(amount), fmt.decimal_places)
    whole, _, fraction = f"{value.copy_abs():f}".partition(".")
    groups = [whole[max(0, end - 3) : end] for end in range(len(whole), 0, -3)][::-1]
    number = fmt.thousand_separator.join(groups)
    if fraction:
        number += fmt.decimal_separator + fraction
    # Checked after quantizing, so -0.001 shows as $0.00 rather than -$0.00.
    sign = "-" if value < 0 else ""
    if fmt.position == "before":
        return f"{sign}{fmt.symbol}{number}"
    return f"{sign}{number} {fmt.symbol}".rstrip()


def _number_pattern(fmt: MoneyFormat) -> re.Pattern[str]:
    whole = "[0-9]+"
    if fmt.thousand_separator:
        whole = rf"[0-9]{{1,3}}(?:{re.escape(fmt.thousand_separator)}[0-9]{{3}})+|{whole}"
    return re.compile(rf"(?P<whole>{whole})(?:{re.escape(fmt.decimal_separator)}(?P<fraction>[0-9]+))?")


def parse_money(text: str, fmt: MoneyFormat = DEFAULT_FORMAT) -> Decimal:
    """Read back what format_money writes, or a plain number like `1234.5`."""
    if not isinstance(text, str):
        raise ValueError(f"Cannot read {text!r} as money: expected text, got {type(text).__name__}")
    rest = text.strip()
    negative = rest.startswith("-")
    rest = rest.removeprefix("-").strip()
    if fmt.symbol and rest.startswith(fmt.symbol):
        rest = rest.removeprefix(fmt.symbol).strip()
    elif fmt.symbol and rest.endswith(fmt.symbol):
        rest = rest.removesuffix(fmt.symbol).strip()
    if not negative and rest.startswith("-"):
        negative, rest = True, rest[1:]

    if match := _number_pattern(fmt).fullmatch(rest):
        whole = match["whole"].replace(fmt.thousand_separator, "")
        value = Decimal(f"{whole}.{match['fraction'] or 0}")
    elif _PLAIN.fullmatch(rest):
        value = Decimal(rest)
    else:
        example = format_money("1234.50", fmt)
        raise ValueError(f'Cannot read "{text}" as money: expected an amount like "{example}"')
    # copy_negate, unlike unary minus, does not round to the 28-digit context precision.
    return value.copy_negate() if negative and value else value
