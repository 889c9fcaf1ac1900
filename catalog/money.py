"""Money is whole rupiah (int) everywhere; this is the one place that does
percentages and formatting."""

from decimal import ROUND_HALF_UP, Decimal


def percent_of(amount_idr: int, percent: int | Decimal) -> int:
    """`percent` % of an amount, rounded half up to a whole rupiah."""
    value = Decimal(amount_idr) * Decimal(percent) / Decimal(100)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_rupiah(amount_idr: int) -> str:
    """Rp150.000 (Indonesian thousands dots, no decimals), -Rp5.000 below zero."""
    sign = "-" if amount_idr < 0 else ""
    grouped = f"{abs(int(amount_idr)):,}".replace(",", ".")
    return f"{sign}Rp{grouped}"
