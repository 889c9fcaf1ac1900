from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name


class Product(models.Model):
    class Kind(models.TextChoices):
        HANDMADE_PREMIUM = "handmade_premium", _("Handmade or premium")
        LIMITED_EDITION = "limited_edition", _("Limited edition")
        READY_TO_EAT = "ready_to_eat", _("Ready-to-eat food")
        PERISHABLE = "perishable", _("Drink or perishable")
        OTHER = "other", _("Other")

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="products", null=True, blank=True
    )
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=170, unique=True)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, default=Kind.HANDMADE_PREMIUM)
    base_price_idr = models.PositiveBigIntegerField(
        _("base price (Rp)"), help_text=_("Whole rupiah. A variant may have its own price.")
    )
    weight_grams = models.PositiveIntegerField(
        _("weight per unit, packed (grams)"), default=0, help_text=_("For postage by weight. A variant may differ.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self):
        return self.name


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images", verbose_name=_("product"))
    image = models.ImageField(_("image"), upload_to="products/%Y/%m/")
    # Widths of the smaller copies made at upload (catalog.images); empty until made.
    rendition_widths = models.JSONField(default=list, blank=True, editable=False)
    alt_text = models.CharField(
        _("description for screen readers"), max_length=200, blank=True, help_text=_("What the photo shows.")
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("product image")
        verbose_name_plural = _("product images")

    def __str__(self):
        return self.alt_text or self.product.name


class OptionType(models.Model):
    """A way a product varies: size, colour, model, flavour, spice level..."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="option_types", verbose_name=_("product")
    )
    name = models.CharField(_("option"), max_length=60, help_text=_("For example: Size, Colour, Flavour."))
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("option")
        verbose_name_plural = _("options")
        constraints = [models.UniqueConstraint(fields=["product", "name"], name="option_type_unique_per_product")]

    def __str__(self):
        return self.name


class OptionValue(models.Model):
    option_type = models.ForeignKey(
        OptionType, on_delete=models.CASCADE, related_name="values", verbose_name=_("option")
    )
    value = models.CharField(_("value"), max_length=60)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["option_type__position", "option_type_id", "position", "pk"]
        verbose_name = _("option value")
        verbose_name_plural = _("option values")
        constraints = [models.UniqueConstraint(fields=["option_type", "value"], name="option_value_unique_per_type")]

    def __str__(self):
        return self.value


class Variant(models.Model):
    """One combination of option values, the unit that is ordered and produced."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants", verbose_name=_("product"))
    sku = models.CharField(_("SKU"), max_length=80, unique=True)
    option_values = models.ManyToManyField(OptionValue, related_name="variants", verbose_name=_("option values"))
    # The sorted option value ids ("3-7"); one variant per combination.
    combination_key = models.CharField(max_length=200, editable=False)
    price_idr = models.PositiveBigIntegerField(
        _("price (Rp)"), null=True, blank=True, help_text=_("Leave empty to use the product's base price.")
    )
    weight_grams = models.PositiveIntegerField(
        _("weight (grams)"), null=True, blank=True, help_text=_("Leave empty to use the product's weight.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["product_id", "position", "pk"]
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        constraints = [
            models.UniqueConstraint(fields=["product", "combination_key"], name="variant_unique_combination"),
            models.CheckConstraint(
                condition=Q(price_idr__isnull=True) | Q(price_idr__gte=0), name="variant_price_not_negative"
            ),
        ]

    def __str__(self):
        label = self.label
        return f"{self.product.name} ({label})" if label else self.product.name

    @property
    def label(self) -> str:
        """ "M / Merah": the values in option order (prefetch option_values)."""
        return " / ".join(value.value for value in self.option_values.all())

    @property
    def unit_weight_grams(self) -> int:
        return self.weight_grams if self.weight_grams is not None else self.product.weight_grams

    @property
    def unit_price_idr(self) -> int:
        return self.price_idr if self.price_idr is not None else self.product.base_price_idr


class ShopProfile(models.Model):
    """Who sells, as the contract before paying must say (PP 80/2019): one row for the shop."""

    shop_name = models.CharField(_("shop name"), max_length=120)
    owner_name = models.CharField(
        _("legal or owner name"), max_length=150, help_text=_("The person or company that sells.")
    )
    address = models.TextField(_("address"), max_length=500)
    whatsapp = models.CharField(_("WhatsApp number"), max_length=20, help_text=_("For buyers' questions, +62..."))
    email = models.EmailField(_("e-mail"))
    returns_policy = models.TextField(
        _("returns and exchanges"),
        max_length=2000,
        default=_(
            "A defective item, or one that differs from the order (a wrong size or colour), may be returned "
            "within 7 days of arrival with an unboxing video: the seller exchanges it or refunds it in full, "
            "postage included. Custom-made items are not exchanged for a change of mind."
        ),
    )
    dispute_policy = models.TextField(
        _("how a dispute is settled"),
        max_length=2000,
        default=_(
            "Tell the seller on WhatsApp or by e-mail first; the seller answers within 2 working days. "
            "If you cannot agree, you may complain to the consumer protection body (BPSK) where you live, "
            "as UU 8/1999 on consumer protection provides."
        ),
    )
    privacy_contact = models.EmailField(
        _("privacy contact"), blank=True, help_text=_("Who buyers ask about their personal data. Empty: the e-mail.")
    )

    class Meta:
        verbose_name = _("shop profile")
        verbose_name_plural = _("shop profile")

    def __str__(self):
        return self.shop_name

    @property
    def privacy_email(self) -> str:
        return self.privacy_contact or self.email


def shop_profile() -> ShopProfile | None:
    """The shop's profile, or None until the seller has filled it in."""
    return ShopProfile.objects.order_by("pk").first()
