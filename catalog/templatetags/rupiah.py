from django import template

from catalog.money import format_rupiah

register = template.Library()


@register.filter(name="rupiah")
def rupiah(amount_idr):
    if amount_idr is None or amount_idr == "":
        return ""
    return format_rupiah(int(amount_idr))
