from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timetracker.lib.money import MoneyFormat, format_money, parse_money

US = MoneyFormat()
EU = MoneyFormat(symbol="€", position="after", thousand_separator=".", decimal_separator=",")
CH = MoneyFormat(symbol="CHF", position="after", thousand_separator="'")
YEN = MoneyFormat(symbol="¥", decimal_places=0)
FR = MoneyFormat(symbol="€", position="after", thousand_separator=" ", decimal_separator=",")
PLAIN = MoneyFormat(symbol="", thousand_separator="", decimal_places=4)
FORMATS = [US, EU, CH, YEN, FR, PLAIN]


@pytest.mark.parametrize(
    ("amount", "fmt", "text"),
    [
        (Decimal("1234.5"), US, "$1,234.50"),
        (Decimal("-1234.5"), US, "-$1,234.50"),
        (0, US, "$0.00"),
        (999, US, "$999.00"),
        (1000, US, "$1,000.00"),
        ("1234567.891", US, "$1,234,567.89"),
        (Decimal("2.345"), US, "$2.35"),
        (Decimal("-2.345"), US, "-$2.35"),
        (Decimal("-0.001"), US, "$0.00"),
        (Decimal("1234.5"), EU, "1.234,50 €"),
        (Decimal("-1234.5"), EU, "-1.234,50 €"),
        (Decimal("1234.5"), CH, "1'234.50 CHF"),
        (Decimal("1234.5"), YEN, "¥1,235"),
        (Decimal("1234.4"), YEN, "¥1,234"),
        (Decimal("1234567.5"), FR, "1 234 567,50 €"),
        (Decimal("1234.56789"), PLAIN, "1234.5679"),
        (10**30, US, "$1,000,000,000,000,000,000,000,000,000,000.00"),
        (Decimal("123456789012345678901234567890.125"), US, "$123,456,789,012,345,678,901,234,567,890.13"),
    ],
)
def test_format_money_examples(amount, fmt, text):
    assert format_money(amount, fmt) == text


def test_format_money_defaults_to_us_dollars():
    assert format_money(Decimal("12.5")) == "$12.50"


@pytest.mark.parametrize("amount", [1.5, 0.1, True])
def test_format_money_refuses_floats_and_bools(amount):
    with pytest.raises(ValueError, match="expected Decimal, int or str"):
        format_money(amount)


@pytest.mark.parametrize("amount", ["abc", "", "1,234.50", Decimal("NaN"), "Infinity"])
def test_format_money_refuses_non_numbers(amount):
    with pytest.raises(ValueError, match=f'Cannot format "{amount}" as money'):
        format_money(amount)


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"position": "middle"}, 'Invalid position "middle"'),
        ({"decimal_places": 5}, 'Invalid decimal_places "5"'),
        ({"decimal_places": -1}, 'Invalid decimal_places "-1"'),
        ({"decimal_places": 2.0}, 'Invalid decimal_places "2.0"'),
        ({"thousand_separator": "."}, 'Invalid thousand_separator "."'),
        ({"decimal_separator": ""}, 'Invalid decimal_separator ""'),
        ({"thousand_separator": "0"}, 'Invalid thousand_separator "0"'),
        ({"symbol": "-"}, 'Invalid symbol "-"'),
    ],
)
def test_money_format_rejects_bad_fields_by_name(kwargs, problem):
    with pytest.raises(ValueError, match=problem):
        MoneyFormat(**kwargs)


@pytest.mark.parametrize(
    ("text", "fmt", "amount"),
    [
        ("$1,234.50", US, Decimal("1234.50")),
        ("-$1,234.50", US, Decimal("-1234.50")),
        ("$-1,234.50", US, Decimal("-1234.50")),
        ("1234.5", US, Decimal("1234.5")),
        ("  $12  ", US, Decimal("12")),
        ("1.234,50 €", EU, Decimal("1234.50")),
        ("1.234,50", EU, Decimal("1234.50")),
        ("1234.5", EU, Decimal("1234.5")),
        ("1'234.50 CHF", CH, Decimal("1234.50")),
        ("¥1,235", YEN, Decimal("1235")),
        ("1 234 567,50 €", FR, Decimal("1234567.50")),
    ],
)
def test_parse_money_examples(text, fmt, amount):
    assert parse_money(text, fmt) == amount


@pytest.mark.parametrize(
    ("text", "fmt"),
    [("abc", US), ("", US), ("$1,23.00", US), ("$1.234,50", US), ("1,234.50 €", EU), ("--5", US), ("€", EU)],
)
def test_parse_money_rejects_garbage_quoting_it_with_an_example(text, fmt):
    with pytest.raises(ValueError) as caught:
        parse_money(text, fmt)
    example = format_money(Decimal("1234.50"), fmt)
    assert str(caught.value) == f'Cannot read "{text}" as money: expected an amount like "{example}"'


def test_parse_money_rejects_non_text():
    with pytest.raises(ValueError, match="expected text"):
        parse_money(Decimal("1"))


amounts = st.decimals(min_value=-(10**15), max_value=10**15, allow_nan=False, allow_infinity=False, places=6)


@given(amounts, st.sampled_from(FORMATS))
def test_parse_reads_back_what_format_writes(amount, fmt):
    expected = amount.quantize(Decimal(1).scaleb(-fmt.decimal_places), rounding=ROUND_HALF_UP)
    assert parse_money(format_money(amount, fmt), fmt) == expected


@given(st.integers(min_value=-(10**40), max_value=10**40), st.sampled_from(FORMATS))
def test_integers_of_any_size_round_trip_exactly(amount, fmt):
    assert parse_money(format_money(amount, fmt), fmt) == amount


@given(st.text(), st.sampled_from(FORMATS))
def test_parse_money_raises_nothing_but_value_error(text, fmt):
    try:
        value = parse_money(text, fmt)
    except ValueError:
        return
    assert isinstance(value, Decimal)
    assert value.is_finite()
