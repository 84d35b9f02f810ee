"""Addresses typed into one field are split and checked by one rule (lib/emails.py)."""

import pytest

from timetracker.lib.emails import addresses


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "a@x.example, b@x.example;c@x.example\nd@x.example  a@x.example",
            ["a@x.example", "b@x.example", "c@x.example", "d@x.example"],
        ),
        ("", []),
    ],
)
def test_addresses_in_a_field_are_split_one_way_and_each_once(text, expected):
    assert addresses(text) == expected


def test_a_bad_or_one_too_many_address_is_named():
    with pytest.raises(ValueError, match='"not-an-address" is not an e-mail address'):
        addresses("a@x.example, not-an-address")
    with pytest.raises(ValueError, match="At most 2 addresses at once"):
        addresses("a@x.example b@x.example c@x.example", at_most=2)
