from django import template

from catalog.images import rendition_name

register = template.Library()


def _widths(field_file) -> list[int]:
    instance = getattr(field_file, "instance", None)
    widths = getattr(instance, "rendition_widths", None)
    if widths is None:
        widths = getattr(instance, "image_rendition_widths", None)
    return sorted(widths or [])


@register.filter
def srcset(field_file) -> str:
    """ "a.w320.jpg 320w, a.w640.jpg 640w, ..." for the renditions made at upload; "" before they exist."""
    if not field_file:
        return ""
    storage = field_file.storage
    return ", ".join(f"{storage.url(rendition_name(field_file.name, width))} {width}w" for width in _widths(field_file))


@register.filter
def picture_url(field_file, width) -> str:
    """The smallest rendition at least `width` wide, else the largest there is, else the original."""
    if not field_file:
        return ""
    widths = _widths(field_file)
    if not widths:
        return field_file.url
    chosen = next((made for made in widths if made >= int(width)), widths[-1])
    return field_file.storage.url(rendition_name(field_file.name, chosen))
