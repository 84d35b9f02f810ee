from django import template

from timetracker.lib.money import format_money

register = template.Library()


@register.filter
def money(amount, money_format):
    """{{ amount|money:money_format }}: the one money formatter, with the settings in force for a client.

    Pass `Settings.load().for_client(client).money_format()` (or the global settings' format) as money_format."""
    if amount is None or amount == "":
        return "—"
    return format_money(amount, money_format)
