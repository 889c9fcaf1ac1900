from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Category, OptionType, Product, ProductImage, ShopProfile, Variant
from .money import format_rupiah
from .page_cache import pages_changed
from .services import option_type_set_values, option_values_parse, product_image_renditions_make, variant_grid_generate


def image_preview(image_field, size=80):
    if not image_field:
        return "-"
    return format_html(
        '<img src="{}" alt="" style="max-width:{}px;max-height:{}px;object-fit:cover;border-radius:4px">',
        image_field.url,
        size,
        size,
    )


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 1
    fields = ["preview", "image", "alt_text", "position"]
    readonly_fields = ["preview"]

    @admin.display(description=_("preview"))
    def preview(self, obj):
        return image_preview(obj.image)


class OptionTypeForm(forms.ModelForm):
    values_text = forms.CharField(
        label=_("values"),
        help_text=_("Separated by commas, for example: S, M, L, XL"),
        widget=forms.TextInput(attrs={"size": 50}),
    )

    class Meta:
        model = OptionType
        fields = ["name", "values_text", "position"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["values_text"].initial = ", ".join(value.value for value in self.instance.values.all())

    def clean_values_text(self):
        values = option_values_parse(self.cleaned_data["values_text"])
        if not values:
            raise forms.ValidationError(_("Give at least one value."))
        return values


class OptionTypeInline(admin.TabularInline):
    model = OptionType
    form = OptionTypeForm
    extra = 1


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    fields = ["label", "sku", "price_idr", "weight_grams", "is_active", "position"]
    readonly_fields = ["label"]
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        # Variants come from the option grid, so no combination is typed twice.
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("option_values")

    @admin.display(description=_("variant"))
    def label(self, obj):
        return obj.label or _("(single variant)")


class ProductForm(forms.ModelForm):
    generate_variants = forms.BooleanField(
        label=_("Create the variant grid"),
        required=False,
        initial=True,
        help_text=_("On save, add a variant for every combination of the options below. Existing variants stay."),
    )

    class Meta:
        model = Product
        fields = ["name", "slug", "category", "kind", "description", "base_price_idr", "weight_grams", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only postage by weight needs it; empty counts as 0 g.
        self.fields["weight_grams"].required = False

    def clean_weight_grams(self):
        return self.cleaned_data.get("weight_grams") or 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductForm
    list_display = ["thumbnail", "name", "category", "kind", "base_price", "variant_count", "is_active"]
    list_display_links = ["thumbnail", "name"]
    list_filter = ["is_active", "kind", "category"]
    search_fields = ["name", "slug", "variants__sku"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ProductImageInline, OptionTypeInline, VariantInline]
    actions = ["generate_variant_grid"]
    fields = [
        "name",
        "slug",
        "category",
        "kind",
        "description",
        "base_price_idr",
        "weight_grams",
        "is_active",
        "generate_variants",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("category")
            .prefetch_related("images")
            .annotate(variant_total=Count("variants", distinct=True))
        )

    @admin.display(description=_("photo"))
    def thumbnail(self, obj):
        images = list(obj.images.all())
        return image_preview(images[0].image if images else None, size=48)

    @admin.display(description=_("base price"), ordering="base_price_idr")
    def base_price(self, obj):
        return format_rupiah(obj.base_price_idr)

    @admin.display(description=_("variants"), ordering="variant_total")
    def variant_count(self, obj):
        return obj.variant_total

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        transaction.on_commit(pages_changed)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is ProductImage:
            for image_form in formset.forms:
                if image_form.instance.pk and "image" in image_form.changed_data:
                    product_image_renditions_make(product_image=image_form.instance)
        if formset.model is OptionType:
            for option_form in formset.forms:
                if option_form.instance.pk and "values_text" in option_form.cleaned_data:
                    option_type_set_values(
                        option_type=option_form.instance, values=option_form.cleaned_data["values_text"]
                    )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if form.cleaned_data.get("generate_variants"):
            self._report_grid(request, form.instance, variant_grid_generate(product=form.instance))

    @admin.action(permissions=["change"], description=_("Create the variant grid from the options"))
    def generate_variant_grid(self, request, queryset):
        for product in queryset:
            self._report_grid(request, product, variant_grid_generate(product=product))

    def _report_grid(self, request, product, result):
        if result.created or result.reactivated or result.deactivated:
            self.message_user(
                request,
                ngettext(
                    "%(product)s: %(created)d variant created, %(reactivated)d reactivated, %(deactivated)d deactivated.",
                    "%(product)s: %(created)d variants created, %(reactivated)d reactivated, %(deactivated)d deactivated.",
                    result.created,
                )
                % {
                    "product": product.name,
                    "created": result.created,
                    "reactivated": result.reactivated,
                    "deactivated": result.deactivated,
                },
                messages.SUCCESS,
            )


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = ["sku", "product", "label", "price", "is_active"]
    list_filter = ["is_active", "product__category"]
    search_fields = ["sku", "product__name", "option_values__value"]
    list_select_related = ["product"]
    fields = ["product", "sku", "price_idr", "weight_grams", "is_active", "position"]
    readonly_fields = ["product"]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product").prefetch_related("option_values")

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if request.path.endswith("/autocomplete/"):
            queryset = queryset.filter(is_active=True)
        return queryset, may_have_duplicates

    @admin.display(description=_("variant"))
    def label(self, obj):
        return obj.label

    @admin.display(description=_("price"))
    def price(self, obj):
        return format_rupiah(obj.unit_price_idr)


@admin.register(ShopProfile)
class ShopProfileAdmin(admin.ModelAdmin):
    """One profile: the seller's identity and policies shown at every checkout."""

    list_display = ["shop_name", "owner_name", "whatsapp", "email"]

    def has_add_permission(self, request):
        return not ShopProfile.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False
