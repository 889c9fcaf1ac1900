import pytest

from catalog.models import OptionType, Variant
from catalog.services import option_type_set_values, option_values_parse, variant_grid_generate
from tests.factories import ProductFactory, product_with_grid

pytestmark = pytest.mark.django_db


def test_grid_makes_one_variant_per_combination_with_readable_skus():
    product = product_with_grid({"Ukuran": ["S", "M", "L"], "Warna": ["Sogan", "Biru Indigo"]}, slug="batik-parang")

    variants = list(product.variants.prefetch_related("option_values"))
    assert len(variants) == 6
    assert {variant.label for variant in variants} == {
        f"{size} / {colour}" for size in ["S", "M", "L"] for colour in ["Sogan", "Biru Indigo"]
    }
    assert "BATIK-PARANG-M-BIRU-INDIGO" in {variant.sku for variant in variants}


def test_running_the_grid_again_adds_only_what_is_missing():
    product = product_with_grid({"Ukuran": ["S", "M"]})
    first_ids = set(product.variants.values_list("pk", flat=True))

    again = variant_grid_generate(product=product)
    assert (again.created, again.reactivated, again.deactivated) == (0, 0, 0)

    option_type_set_values(option_type=product.option_types.get(), values=["S", "M", "L"])
    grown = variant_grid_generate(product=product)
    assert grown.created == 1
    assert first_ids < set(product.variants.values_list("pk", flat=True))


def test_a_removed_value_deactivates_its_variants_but_keeps_them():
    product = product_with_grid({"Ukuran": ["S", "M"], "Warna": ["Merah"]})

    option_type_set_values(option_type=product.option_types.get(name="Ukuran"), values=["M"])
    result = variant_grid_generate(product=product)

    assert result.deactivated == 1
    assert product.variants.count() == 2
    assert product.variants.filter(is_active=True).count() == 1


def test_a_product_without_options_gets_one_variant():
    product = ProductFactory()
    variant_grid_generate(product=product)
    variant = product.variants.get()
    assert variant.label == ""
    assert variant.unit_price_idr == product.base_price_idr


def test_skus_stay_unique_when_two_products_share_a_slug_prefix():
    product_with_grid({"Rasa": ["Keju"]}, slug="nastar")
    product_with_grid(slug="nastar-keju")  # no options: its one variant is named after the product
    assert Variant.objects.filter(sku="NASTAR-KEJU").count() == 1
    assert Variant.objects.filter(sku="NASTAR-KEJU-2").count() == 1


def test_option_values_are_parsed_trimmed_without_repeats():
    assert option_values_parse(" S,M , m,, XL ") == ["S", "M", "XL"]


def test_renaming_a_value_keeps_its_variants():
    product = product_with_grid({"Warna": ["merah", "Hijau"]})
    option_type = OptionType.objects.get(product=product)
    before = set(product.variants.values_list("pk", flat=True))
    option_type_set_values(option_type=option_type, values=["Merah", "Hijau"])
    assert set(product.variants.filter(is_active=True).values_list("pk", flat=True)) == before
    assert list(option_type.values.values_list("value", flat=True)) == ["Merah", "Hijau"]


def test_skus_fit_their_column_however_long_the_names():
    long_slug = "kemeja-batik-tulis-tangan-motif-parang-rusak-barong-premium-katun-primisima-lengan-panjang"
    product = product_with_grid(
        {"Ukuran": ["Extra Extra Large"], "Warna": ["Biru Indigo Alami Tua", "Biru Indigo Alami Muda"]}, slug=long_slug
    )
    skus = list(product.variants.values_list("sku", flat=True))
    assert len(skus) == 2 and len(set(skus)) == 2
    assert all(len(sku) <= Variant._meta.get_field("sku").max_length for sku in skus)
