import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from catalog.admin import image_preview
from catalog.models import Product, Variant
from catalog.page_cache import pages_changed

from .exceptions import CampaignError
from .forms import CampaignUpdateForm
from .models import Campaign, CampaignItem, CampaignUpdate
from .occasions import campaign_occasions, campaign_warnings
from .postage import postage_rates_set
from .provinces import PROVINCE_CHOICES, PROVINCES
from .services import (
    campaign_back_to_draft,
    campaign_image_renditions_make,
    campaign_items_add_variants,
    campaign_publish,
    campaign_update_post,
)

Stage = Campaign.Stage
Status = Campaign.Status
QUOTA_FIELDS = ["quota_total", "units_reserved", "per_buyer_limit", "minimum_goal_units", "goal_missed_policy"]


def units_reserved_error(units: int) -> str:
    return ngettext("Already %(units)d unit is reserved.", "Already %(units)d units are reserved.", units) % {
        "units": units
    }


class CampaignItemForm(forms.ModelForm):
    class Meta:
        model = CampaignItem
        fields = ["variant", "price_idr", "quota", "position"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["price_idr"].required = False
        self.fields["price_idr"].help_text = _("Empty: the variant's catalog price.")
        if self.instance.pk:
            # Orders point at this item's variant: change the price or quota, not the variant.
            self.fields["variant"].disabled = True

    def clean(self):
        cleaned = super().clean()
        variant = cleaned.get("variant")
        if cleaned.get("price_idr") is None and variant is not None:
            cleaned["price_idr"] = variant.unit_price_idr
            self.instance.price_idr = variant.unit_price_idr
        quota = cleaned.get("quota")
        if quota is not None and self.instance.pk and quota < self.instance.units_reserved:
            self.add_error("quota", units_reserved_error(self.instance.units_reserved))
        return cleaned


class CampaignItemFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        for item_form in self.forms:
            if self.can_delete and self._should_delete_form(item_form) and item_form.instance.units_reserved:
                raise forms.ValidationError(
                    _("%(item)s has reserved units and cannot be removed; set its quota instead.")
                    % {"item": item_form.instance}
                )


class CampaignItemInline(admin.TabularInline):
    model = CampaignItem
    form = CampaignItemForm
    formset = CampaignItemFormSet
    extra = 0
    autocomplete_fields = ["variant"]
    fields = ["variant", "price_idr", "quota", "reserved", "position"]
    readonly_fields = ["reserved"]

    @admin.display(description=_("reserved"))
    def reserved(self, obj):
        return obj.units_reserved if obj.pk else "-"

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("variant__product").prefetch_related("variant__option_values")
        )


class CampaignUpdateInline(admin.StackedInline):
    model = CampaignUpdate
    form = CampaignUpdateForm
    extra = 0
    fields = ["message", "new_estimated_ship_date", "posted_at", "posted_by", "previous_estimated_ship_date"]
    readonly_fields = ["posted_at", "posted_by", "previous_estimated_ship_date"]
    verbose_name = _("update for buyers (delay, news)")
    verbose_name_plural = _("updates for buyers (history)")

    def has_change_permission(self, request, obj=None):
        # Updates are history: post a new one rather than rewrite an old one.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CampaignForm(forms.ModelForm):
    add_products = forms.ModelMultipleChoiceField(
        label=_("Add every variant of"),
        queryset=Product.objects.filter(is_active=True),
        required=False,
        widget=admin.widgets.FilteredSelectMultiple(_("products"), is_stacked=False),
        help_text=_("On save, each active variant of these products becomes an item at its catalog price."),
    )
    auto_complete_days = Campaign._meta.get_field("auto_complete_days").formfield(required=False)  # empty: 7

    class Meta:
        model = Campaign
        help_texts = {
            "title": _("What buyers see, e.g. PO Batik Tulis Parang, Batch 3."),
            "slug": _("The end of the PO's link; letters, digits and dashes."),
            "opens_at": _("When buyers can start to order (WIB). Paydays (the 25th, the 1st) sell best."),
            "closes_at": _("When ordering ends (WIB). One to two weeks is usual."),
            "estimated_ship_date": _("When the goods ship, as promised to buyers before they pay."),
            "quota_total": _("Most units across all items; never oversold. Empty: no limit."),
            "per_buyer_limit": _("Most units one buyer (phone or e-mail) may order. Empty: no limit."),
            "goal_missed_policy": _("What happens at closing when the minimum goal is not reached."),
            "payment_terms": _("Full payment, or a down payment (DP) with the balance later."),
            "dp_kind": _("A percentage of each order, or a fixed amount per unit."),
            "dp_percent": _("For example 50 for half of the order."),
            "dp_fixed_per_unit_idr": _("Whole rupiah per unit, for example 50000."),
            "postage_mode": _("How postage (ongkir) is charged; set the rates per province after saving."),
        }
        fields = [
            "title",
            "slug",
            "description",
            "image",
            "opens_at",
            "closes_at",
            "estimated_ship_date",
            "quota_total",
            "per_buyer_limit",
            "minimum_goal_units",
            "goal_missed_policy",
            "payment_terms",
            "dp_kind",
            "dp_percent",
            "dp_fixed_per_unit_idr",
            "balance_due_date",
            "unpaid_expiry_hours",
            "quick_pay_minutes",
            "auto_complete_days",
            "postage_mode",
            "postage_timing",
            "pickup_place",
        ]

    def clean(self):
        cleaned = super().clean()
        quota_total = cleaned.get("quota_total")
        if quota_total is not None and self.instance.pk and quota_total < self.instance.units_reserved:
            self.add_error("quota_total", units_reserved_error(self.instance.units_reserved))
        if cleaned.get("auto_complete_days") is None:
            cleaned["auto_complete_days"] = Campaign._meta.get_field("auto_complete_days").default
        return cleaned


class PostageRateRowForm(forms.Form):
    province = forms.ChoiceField(choices=PROVINCE_CHOICES, widget=forms.HiddenInput)
    flat_idr = forms.IntegerField(label=_("flat rate (Rp)"), required=False, min_value=0, max_value=10_000_000)
    per_kg_idr = forms.IntegerField(label=_("rate per kg (Rp)"), required=False, min_value=0, max_value=10_000_000)


PostageRateFormSet = forms.formset_factory(
    PostageRateRowForm, extra=0, max_num=len(PROVINCES), absolute_max=len(PROVINCES)
)


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Status.choices

    def queryset(self, request, queryset):
        now = timezone.now()
        published = Q(stage=Stage.PUBLISHED)
        conditions = {
            Status.COMING_SOON: published & Q(opens_at__gt=now),
            Status.OPEN: published & Q(opens_at__lte=now, closes_at__gt=now),
            Status.CLOSED: published & Q(closes_at__lte=now),
        }
        value = self.value()
        if value in conditions:
            return queryset.filter(conditions[value])
        if value in Stage.values:
            return queryset.filter(stage=value)
        return queryset


class CampaignAdminBase(admin.ModelAdmin):
    """The campaign admin without the PO's life after checkout; fulfilment.admin registers it with that."""

    form = CampaignForm
    list_display = ["title", "status_badge", "opens_at", "closes_at", "estimated_ship_date", "reserved", "view_link"]
    list_filter = [StatusFilter, "payment_terms"]
    search_fields = ["title", "slug", "items__variant__sku", "items__variant__product__name"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "closes_at"
    inlines = [CampaignItemInline, CampaignUpdateInline]
    readonly_fields = [
        "status_badge",
        "occasion_helper",
        "image_preview",
        "units_reserved",
        "close_processed_at",
        "postage_rates_link",
    ]
    # The steps after the window (production, shipping, completing, cancelling) are fulfilment's actions.
    actions = ["publish", "back_to_draft"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "status_badge", "description", "image", "image_preview"]}),
        (_("PO window"), {"fields": ["opens_at", "closes_at", "estimated_ship_date", "occasion_helper"]}),
        (_("Quotas and goal"), {"fields": QUOTA_FIELDS}),
        (
            _("Payment terms"),
            {
                "fields": [
                    "payment_terms",
                    "dp_kind",
                    "dp_percent",
                    "dp_fixed_per_unit_idr",
                    "balance_due_date",
                    "unpaid_expiry_hours",
                    "quick_pay_minutes",
                ]
            },
        ),
        (_("Postage (ongkir)"), {"fields": ["postage_mode", "postage_timing", "pickup_place", "postage_rates_link"]}),
        (_("After shipping"), {"fields": ["auto_complete_days"]}),
        (_("Items"), {"fields": ["add_products"]}),
    ]

    @admin.display(description=_("status"))
    def status_badge(self, obj):
        if not obj.pk:
            return _("Draft")
        return obj.status.label

    @admin.display(description=_("reserved"), ordering="units_reserved")
    def reserved(self, obj):
        if obj.quota_total:
            return f"{obj.units_reserved} / {obj.quota_total}"
        return obj.units_reserved

    @admin.display(description=_("page"))
    def view_link(self, obj):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("campaigns:detail", args=[obj.slug]),
            _("view"),
        )

    @admin.display(description=_("rates per province"))
    def postage_rates_link(self, obj):
        if not obj.pk:
            return _("Save once, then fill in the rate for each province.")
        count = obj.postage_rates.count()
        return format_html(
            '<a class="button" href="{}">{}</a> {}',
            reverse("admin:campaigns_campaign_postage", args=[obj.pk]),
            _("Set the rates per province"),
            ngettext("%(count)d of 38 provinces has a rate.", "%(count)d of 38 provinces have a rate.", count)
            % {"count": count},
        )

    @admin.display(description=_("share image"))
    def image_preview(self, obj):
        return image_preview(obj.image, size=160)

    @admin.display(description=_("holidays and paydays"))
    def occasion_helper(self, obj):
        if not obj.pk:
            return format_html(
                '<div data-occasions-url="{}">{}</div>',
                reverse("admin:campaigns_campaign_occasions"),
                _("Type the window and ship date to see the holidays, cuti bersama and paydays near it."),
            )
        return render_to_string(
            "admin/campaigns/occasion_helper.html",
            {
                "occasions": campaign_occasions(
                    opens_at=obj.opens_at, closes_at=obj.closes_at, estimated_ship_date=obj.estimated_ship_date
                ),
                "warnings": campaign_warnings(
                    opens_at=obj.opens_at, closes_at=obj.closes_at, estimated_ship_date=obj.estimated_ship_date
                ),
            },
        )

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
        else:
            # Write only what the seller changed: units_reserved moves with
            # orders at the same time and must not be overwritten from the form.
            fields = [name for name in form.changed_data if name in CampaignForm.Meta.fields]
            if "closes_at" in fields and obj.closes_at > timezone.now():
                # Reopened: the closing job must run again when it closes.
                obj.close_processed_at = None
                fields.append("close_processed_at")
            if fields:
                obj.save(update_fields=fields)
        if "image" in form.changed_data and obj.image:
            campaign_image_renditions_make(campaign=obj)
        transaction.on_commit(pages_changed)
        for warning in campaign_warnings(
            opens_at=obj.opens_at, closes_at=obj.closes_at, estimated_ship_date=obj.estimated_ship_date
        ):
            self.message_user(request, warning, messages.WARNING)

    # payments.admin tells every buyer of the update (campaign_update_announce) instead.
    update_post = staticmethod(campaign_update_post)

    def save_formset(self, request, form, formset, change):
        if formset.model is CampaignItem:
            return self._save_items(request, formset)
        if formset.model is not CampaignUpdate:
            return super().save_formset(request, form, formset, change)
        # New updates go through the service, which also moves the ship date.
        for update in formset.save(commit=False):
            self.update_post(
                campaign=form.instance,
                message=update.message,
                new_estimated_ship_date=update.new_estimated_ship_date,
                posted_by=request.user,
                now=timezone.now(),
            )

    def _save_items(self, request, formset):
        transaction.on_commit(pages_changed)
        items = formset.save(commit=False)
        for item in items:
            if item.pk:
                # units_reserved moves with orders; never write it from the form.
                item.save(update_fields=["price_idr", "quota", "position"])
            else:
                item.save()
        for item in formset.deleted_objects:
            try:
                item.delete()
            except ProtectedError:
                self.message_user(
                    request,
                    _("%(item)s was kept: orders point at it.") % {"item": item},
                    messages.WARNING,
                )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        products = form.cleaned_data.get("add_products")
        if products:
            variants = Variant.objects.filter(product__in=products, is_active=True).order_by(
                "product_id", "position", "pk"
            )
            added = campaign_items_add_variants(campaign=form.instance, variants=list(variants))
            added_text = ngettext("%(count)d item added.", "%(count)d items added.", added) % {"count": added}
            self.message_user(request, added_text, messages.SUCCESS)

    def get_urls(self):
        return [
            path("occasions/", self.admin_site.admin_view(self.occasions_view), name="campaigns_campaign_occasions"),
            path(
                "<int:campaign_id>/postage/",
                self.admin_site.admin_view(self.postage_view),
                name="campaigns_campaign_postage",
            ),
        ] + super().get_urls()

    def occasions_view(self, request):
        """The holiday helper for dates typed in a form not saved yet (opens_at, closes_at, ship as YYYY-MM-DD)."""
        if not self.has_add_permission(request) and not self.has_change_permission(request):
            raise PermissionDenied
        try:
            opens = datetime.date.fromisoformat(request.GET.get("opens_at", ""))
            closes = datetime.date.fromisoformat(request.GET.get("closes_at", ""))
            ship = datetime.date.fromisoformat(request.GET.get("ship", ""))
        except ValueError:
            return HttpResponseBadRequest(_("Give the dates as YYYY-MM-DD."))
        jakarta = timezone.get_current_timezone()
        opens_at = datetime.datetime.combine(opens, datetime.time(0, 0), tzinfo=jakarta)
        closes_at = datetime.datetime.combine(closes, datetime.time(23, 59), tzinfo=jakarta)
        if not opens_at < closes_at <= opens_at + datetime.timedelta(days=366):
            return HttpResponseBadRequest(_("The window closes after it opens, within a year."))
        return HttpResponse(
            render_to_string(
                "admin/campaigns/occasion_helper.html",
                {
                    "occasions": campaign_occasions(opens_at=opens_at, closes_at=closes_at, estimated_ship_date=ship),
                    "warnings": campaign_warnings(opens_at=opens_at, closes_at=closes_at, estimated_ship_date=ship),
                },
            )
        )

    def response_add(self, request, obj, post_url_continue=None):
        self._publish_if_asked(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        self._publish_if_asked(request, obj)
        return super().response_change(request, obj)

    def _publish_if_asked(self, request, obj):
        if "_publish" not in request.POST:
            return
        try:
            campaign_publish(campaign=obj, now=timezone.now())
        except CampaignError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            obj.refresh_from_db(fields=["stage"])
            self.message_user(
                request,
                _("%(campaign)s is published; it opens at its time.") % {"campaign": obj.title},
                messages.SUCCESS,
            )

    def postage_view(self, request, campaign_id):
        """The 38 provinces with a flat rate and a rate per kg each; empty means not shipped there."""
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        if not self.has_change_permission(request, campaign):
            raise PermissionDenied
        current = {rate.province: rate for rate in campaign.postage_rates.all()}
        initial = [
            {
                "province": province,
                "flat_idr": current[province].flat_idr if province in current else None,
                "per_kg_idr": current[province].per_kg_idr if province in current else None,
            }
            for province in PROVINCES
        ]
        formset = PostageRateFormSet(request.POST or None, initial=initial)
        if request.method == "POST" and formset.is_valid():
            rates = {
                row["province"]: (row.get("flat_idr"), row.get("per_kg_idr"))
                for row in formset.cleaned_data
                if row.get("province")
            }
            try:
                count = postage_rates_set(campaign=campaign, rates=rates)
            except CampaignError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                saved = ngettext(
                    "Postage saved: %(count)d province has a rate.",
                    "Postage saved: %(count)d provinces have a rate.",
                    count,
                )
                self.message_user(request, saved % {"count": count}, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Postage per province: %(campaign)s") % {"campaign": campaign.title},
            "campaign": campaign,
            "formset": formset,
        }
        return TemplateResponse(request, "admin/campaigns/postage_rates.html", context)

    def _step(self, request, queryset, service, done: str):
        """Run one stage service per selected campaign; a refused move says why and changes nothing."""
        for campaign in queryset:
            try:
                service(campaign=campaign, now=timezone.now())
            except CampaignError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, done % {"campaign": campaign.title}, messages.SUCCESS)

    @admin.action(permissions=["change"], description=_("Publish (opens at its time)"))
    def publish(self, request, queryset):
        self._step(request, queryset, campaign_publish, _("%(campaign)s is published; it opens at its time."))

    @admin.action(permissions=["change"], description=_("Back to draft (not opened yet)"))
    def back_to_draft(self, request, queryset):
        self._step(request, queryset, campaign_back_to_draft, _("%(campaign)s is a draft again."))
