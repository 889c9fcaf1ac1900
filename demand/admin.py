"""The seller's view of cek ombak: the interest and the waitlist on the campaign's page, beside the quotas
(mixed into the campaign admin that fulfilment.admin registers), the action "Open the next batch", the
list of who asked, and the cek ombak part of a PO's demand page."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from campaigns.exceptions import CampaignError
from campaigns.models import CampaignItem
from campaigns.services import campaign_next_batch_title
from orders.admin import CampaignDemandAdmin
from orders.models import CampaignDemand

from .models import Interest, InterestLine, NextBatch
from .next_batch import campaign_next_batch_open
from .selectors import campaign_interest
from .services import interests_delete

QUOTA_FIELD = "quota_total"


class NextBatchForm(forms.Form):
    title = forms.CharField(label=_("Title of the next batch"), max_length=150)
    opens_at = forms.SplitDateTimeField(label=_("Opens at"), widget=admin.widgets.AdminSplitDateTime)
    closes_at = forms.SplitDateTimeField(label=_("Closes at"), widget=admin.widgets.AdminSplitDateTime)

    def clean(self):
        cleaned = super().clean()
        opens_at, closes_at = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_at", gettext("The new window must close after it opens."))
        if closes_at and closes_at <= timezone.now():
            self.add_error("closes_at", gettext("The new window must end in the future."))
        return cleaned


class CampaignInterestAdminMixin:
    """Adds the interest (asked before opening, the waitlist, carried from the last batch) to the campaign's
    fieldset with the quotas and beside each item's quota, and the action "Open the next batch"."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.has_add_permission(request):
            actions["open_next_batch"] = self.get_action("open_next_batch")
        return actions

    @admin.action(description=_("Open the next batch (a draft copy carrying the waitlist and unmet interest)"))
    def open_next_batch(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, gettext("Choose one PO to open its next batch."), messages.ERROR)
            return None
        campaign = queryset.get()
        length = campaign.closes_at - campaign.opens_at
        # A week after the last batch (or now), at ten in the morning: the seller changes it as they like.
        starts = timezone.localtime(max(timezone.now(), campaign.closes_at) + datetime.timedelta(days=7))
        starts = starts.replace(hour=10, minute=0, second=0, microsecond=0)
        initial = {"title": campaign_next_batch_title(campaign.title), "opens_at": starts, "closes_at": starts + length}
        form = NextBatchForm(request.POST if "apply" in request.POST else None, initial=initial)
        if form.is_valid():
            try:
                link = campaign_next_batch_open(campaign=campaign, now=timezone.now(), **form.cleaned_data)
            except CampaignError as error:
                form.add_error(None, str(error))
            else:
                carried = link.waitlist_carried + link.interest_carried
                self.message_user(
                    request,
                    ngettext(
                        "%(title)s is made as a draft with %(count)d buyer carried over; check the quotas and publish it.",
                        "%(title)s is made as a draft with %(count)d buyers carried over; check the quotas and publish it.",
                        carried,
                    )
                    % {"title": link.campaign.title, "count": carried},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[link.campaign.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Open the next batch of %(title)s") % {"title": campaign.title},
            "campaign": campaign,
            "interest": campaign_interest(campaign=campaign),
            "form": form,
            "media": self.media + form.media,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/demand/next_batch.html", context)

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        if obj is None or not obj.pk:
            return inlines
        per_item = {row.item.pk: row for row in campaign_interest(campaign=obj).variants}

        def interest_wanted(item):
            row = per_item.get(item.pk) if item and item.pk else None
            if row is None:
                return "-"
            units = ngettext("%(units)d unit", "%(units)d units", row.suggested_quota) % {"units": row.suggested_quota}
            buyers = ngettext("%(buyers)d buyer", "%(buyers)d buyers", row.buyers) % {"buyers": row.buyers}
            return f"{units}, {buyers}"

        interest_wanted.short_description = _("wanted (interest)")
        for inline in inlines:
            if inline.model is CampaignItem:
                fields = list(inline.get_fields(request, obj))
                place = fields.index("quota") + 1 if "quota" in fields else len(fields)
                inline.fields = [*fields[:place], "interest_wanted", *fields[place:]]
                inline.readonly_fields = [*inline.readonly_fields, "interest_wanted"]
                inline.interest_wanted = interest_wanted
        return inlines

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
                "next_batch": getattr(obj, "previous_batch_link", None),
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

    list_display = ["phone", "email", "campaign", "kind", "wanted", "created_at", "notified_at", "stopped_at"]
    list_filter = ["campaign", "kind", NotifiedFilter]
    search_fields = ["phone", "email"]
    list_select_related = ["campaign", "carried_from"]
    date_hierarchy = "created_at"
    inlines = [InterestLineInline]
    fields = [
        "campaign",
        "kind",
        "carried_from",
        "phone",
        "email",
        "language",
        "created_at",
        "updated_at",
        "notified_at",
        "stopped_at",
    ]
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


# The demand page of a PO (orders' admin) with its cek ombak: the interest and waitlist per variant and, for a
# next batch, what the last batch left unmet, as the suggested quota.
admin.site.unregister(CampaignDemand)


@admin.register(CampaignDemand)
class CampaignDemandWithInterestAdmin(CampaignDemandAdmin):
    def demand_view(self, request, campaign_id):
        response = super().demand_view(request, campaign_id)
        campaign = response.context_data["campaign"]
        response.context_data["interest"] = campaign_interest(campaign=campaign)
        response.context_data["next_batch"] = (
            NextBatch.objects.select_related("previous").filter(campaign_id=campaign.pk).first()
        )
        response.template_name = "admin/demand/campaign_demand.html"
        return response
