from decimal import Decimal

from django import template

from timetracker.lib.money import format_money

register = template.Library()


@register.filter
def average_rate(figures, money_format):
    """{{ row.figures|average_rate:money_format }}: the amount per billable hour, or a dash without any."""
    if figures.amount is None or not figures.billable:
        return "—"
    return format_money(figures.amount * 3600 / Decimal(figures.billable), money_format)
