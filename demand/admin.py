"""The seller's view of "Ingatkan saya": the interest on the campaign's page, beside the quotas
(mixed into the campaign admin that fulfilment.admin registers), and the list of who asked."""

from django.contrib import admin
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Interest, InterestLine
from .selectors import campaign_interest
from .services import interests_delete

QUOTA_FIELD = "quota_total"


class CampaignInterestAdminMixin:
    """Adds "interest before opening" to the campaign's fieldset with the quotas."""

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        shown = []
        for name, options in fieldsets:
            fields = list(options.get("fields", ()))
            if QUOTA_FIELD in fields:
                fields.insert(fields.index(QUOTA_FIELD), "interest_summary")
                options = {**options, "fields": fields}
            shown.append((name, options))
        return shown

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "interest_summary"]

    @admin.display(description=_("interest (Ingatkan saya)"))
    def interest_summary(self, obj):
        if not obj or not obj.pk:
            return "-"
        return render_to_string(
            "admin/demand/interest_summary.html",
            {
                "campaign": obj,
                "interest": campaign_interest(campaign=obj),
                "list_url": reverse("admin:demand_interest_changelist") + f"?campaign__id__exact={obj.pk}",
            },
        )


class InterestLineInline(admin.TabularInline):
    model = InterestLine
    extra = 0
    fields = ["campaign_item", "quantity"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class NotifiedFilter(admin.SimpleListFilter):
    title = _("told it opened")
    parameter_name = "told"

    def lookups(self, request, model_admin):
        return [("yes", _("Told")), ("no", _("Not told yet")), ("stopped", _("Stopped the messages"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(notified_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(notified_at__isnull=True, stopped_at__isnull=True)
        if self.value() == "stopped":
            return queryset.filter(stopped_at__isnull=False)
        return queryset


@admin.register(Interest)
class InterestAdmin(admin.ModelAdmin):
    """Who asked to be reminded, as they asked: read-only; a buyer who asks to be forgotten is deleted."""

    list_display = ["phone", "email", "campaign", "wanted", "created_at", "notified_at", "stopped_at"]
    list_filter = ["campaign", NotifiedFilter]
    search_fields = ["phone", "email"]
    list_select_related = ["campaign"]
    date_hierarchy = "created_at"
    inlines = [InterestLineInline]
    fields = ["campaign", "kind", "phone", "email", "language", "created_at", "updated_at", "notified_at", "stopped_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("lines__campaign_item__variant__product", "lines__campaign_item__variant__option_values")
        )

    def has_add_permission(self, request):
        return False

    # A buyer asks to be forgotten: their messages lose the contacts too (demand.services.interests_delete).
    def delete_model(self, request, obj):
        interests_delete(interest_ids=[obj.pk])

    def delete_queryset(self, request, queryset):
        interests_delete(interest_ids=list(queryset.values_list("pk", flat=True)))

    @admin.display(description=_("variants wanted"))
    def wanted(self, obj):
        return ", ".join(str(line) for line in obj.lines.all()) or "-"
