import itertools
from dataclasses import dataclass

from django.db import transaction
from django.utils.text import slugify

from .images import image_renditions_make
from .models import OptionType, OptionValue, Product, ProductImage, Variant


def option_values_parse(text: str) -> list[str]:
    """ "S, M, L" -> ["S", "M", "L"]: trimmed, empty parts and repeats dropped."""
    seen: dict[str, None] = {}
    for part in text.split(","):
        value = " ".join(part.split())
        if value and value.casefold() not in {known.casefold() for known in seen}:
            seen[value] = None
    return list(seen)


@transaction.atomic
def option_type_set_values(*, option_type: OptionType, values: list[str]) -> None:
    """Make the option's values exactly `values`, in that order.

    Values that stay keep their id, so variants built on them stay too.
    """
    existing = {value.value.casefold(): value for value in option_type.values.all()}
    keep_ids = []
    for position, text in enumerate(values):
        value = existing.get(text.casefold())
        if value is None:
            value = OptionValue.objects.create(option_type=option_type, value=text, position=position)
        elif value.position != position or value.value != text:
            value.position = position
            value.value = text
            value.save(update_fields=["position", "value"])
        keep_ids.append(value.pk)
    option_type.values.exclude(pk__in=keep_ids).delete()


# Leaves room in Variant.sku (80) for a "-NN" suffix that keeps it unique.
SKU_BASE_LENGTH = 72


@dataclass(frozen=True)
class GridResult:
    created: int
    reactivated: int
    deactivated: int


def _combination_key(values) -> str:
    return "-".join(str(pk) for pk in sorted(value.pk for value in values))


def _unique_sku(base: str, taken: set[str]) -> str:
    sku, number = base, 2
    while sku in taken:
        sku = f"{base}-{number}"
        number += 1
    taken.add(sku)
    return sku


@transaction.atomic
def variant_grid_generate(*, product: Product) -> GridResult:
    """Create one variant for every combination of the product's option values.

    Running it again only adds what is missing; a variant whose combination
    no longer exists (a value was removed) is deactivated, never deleted, as
    orders may point at it.
    """
    product = Product.objects.select_for_update().get(pk=product.pk)
    option_types = list(OptionType.objects.filter(product=product).prefetch_related("values"))
    value_lists = [list(option_type.values.all()) for option_type in option_types]
    combinations = list(itertools.product(*value_lists)) if all(value_lists) else []
    if not option_types:
        combinations = [()]

    variants = {variant.combination_key: variant for variant in product.variants.all()}
    taken_skus = set(
        Variant.objects.filter(sku__startswith=slugify(product.slug).upper()[:SKU_BASE_LENGTH]).values_list(
            "sku", flat=True
        )
    )
    wanted_keys = set()
    created = reactivated = 0
    for position, combination in enumerate(combinations):
        key = _combination_key(combination)
        wanted_keys.add(key)
        variant = variants.get(key)
        if variant is None:
            sku_base = slugify("-".join([product.slug, *(value.value for value in combination)])).upper()
            sku_base = sku_base[:SKU_BASE_LENGTH].rstrip("-")
            variant = Variant.objects.create(
                product=product, sku=_unique_sku(sku_base, taken_skus), combination_key=key, position=position
            )
            variant.option_values.set(combination)
            created += 1
        elif not variant.is_active:
            variant.is_active = True
            variant.save(update_fields=["is_active"])
            reactivated += 1

    stale = [variant.pk for key, variant in variants.items() if key not in wanted_keys and variant.is_active]
    Variant.objects.filter(pk__in=stale).update(is_active=False)
    return GridResult(created=created, reactivated=reactivated, deactivated=len(stale))


def product_image_renditions_make(*, product_image: ProductImage) -> list[int]:
    """Make the smaller copies of a product photo and record their widths."""
    widths = image_renditions_make(product_image.image)
    ProductImage.objects.filter(pk=product_image.pk).update(rendition_widths=widths)
    product_image.rendition_widths = widths
    return widths
