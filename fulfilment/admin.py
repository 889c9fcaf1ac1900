"""The seller's view of a PO after (and while) it runs: the overview on the campaign
page, the production tally with its lists and exports, and the address labels."""

import tempfile

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from orders.models import ProductionTally
from orders.production import campaign_waiting_first_payments, tally_matrices
from orders.selectors import campaign_demand

from .delays import campaign_delay_summaries
from .exceptions import PaymentError
from .exports import address_labels, packing_list_write, production_list_write
from .production import campaign_production_blocker, campaign_production_start, campaign_tally_recompute
from .selectors import campaign_money
from .services import campaign_paid_units

EXPORT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}
LISTS = ("production", "packing")


class CampaignProductionAdminMixin:
    """Mixed into the campaign admin registered by payments.admin."""

    class Media:
        js = ["vendor/chartjs/chart.umd.min.js", "js/admin_po_chart.js"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [(_("This PO at a glance"), {"fields": ["po_overview"]}), *fieldsets]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "po_overview"]

    @admin.display(description=_("overview"))
    def po_overview(self, obj):
        if not obj or not obj.pk:
            return "-"
        variants, days = campaign_demand(campaign=obj)
        return render_to_string(
            "admin/payments/po_overview.html",
            {
                "campaign": obj,
                "money": campaign_money(campaign=obj),
                "units_paid": campaign_paid_units(obj),
                "units_unpaid": sum(row.units_unpaid for row in variants),
                "chart": {
                    "labels": [day.day.isoformat() for day in days],
                    "orders": [day.orders for day in days],
                    "units": [day.units for day in days],
                    "orders_label": gettext("orders"),
                    "units_label": gettext("units"),
                },
                "days": days,
                "delays": campaign_delay_summaries(campaign=obj),
                "production_url": reverse("admin:campaigns_campaign_production", args=[obj.pk]),
                "messages_url": reverse("admin:orders_message_changelist") + f"?order__campaign__id__exact={obj.pk}",
                "demand_url": reverse("admin:orders_campaigndemand_demand", args=[obj.pk]),
            },
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:campaign_id>/production/", view(self.production_view), name="campaigns_campaign_production"),
            path(
                "<int:campaign_id>/production/<str:list_name>.<str:file_format>",
                view(self.export_view),
                name="campaigns_campaign_export",
            ),
            path("<int:campaign_id>/labels/", view(self.labels_view), name="campaigns_campaign_labels"),
        ] + super().get_urls()

    def _campaign(self, request, campaign_id, *, change=False) -> Campaign:
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        allowed = (
            self.has_change_permission(request, campaign) if change else self.has_view_permission(request, campaign)
        )
        if not allowed or not request.user.has_perm("orders.view_order"):
            raise PermissionDenied
        return campaign

    def production_view(self, request, campaign_id):
        campaign = self._campaign(request, campaign_id, change=request.method == "POST")
        if request.method == "POST":
            action = request.POST.get("action")
            try:
                if action == "start":
                    campaign_production_start(campaign=campaign, now=timezone.now())
                    self.message_user(
                        request, gettext("The tally is taken; the PO is in production."), messages.SUCCESS
                    )
                elif action == "recompute":
                    campaign_tally_recompute(campaign=campaign, now=timezone.now())
                    self.message_user(request, gettext("The tally is counted again."), messages.SUCCESS)
            except PaymentError as error:
                self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(request.path)
        tally = ProductionTally.objects.filter(campaign=campaign).first()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Production: %(campaign)s") % {"campaign": campaign.title},
            "campaign": campaign,
            "tally": tally,
            "matrices": tally_matrices(tally) if tally else [],
            "blocker": campaign_production_blocker(campaign=campaign, now=timezone.now())
            if campaign.stage == Campaign.Stage.TALLYING
            else "",
            "waiting": campaign_waiting_first_payments(campaign=campaign),
            "can_change": self.has_change_permission(request, campaign),
        }
        return TemplateResponse(request, "admin/payments/production.html", context)

    def export_view(self, request, campaign_id, list_name, file_format):
        campaign = self._campaign(request, campaign_id)
        if list_name not in LISTS or file_format not in EXPORT_TYPES:
            raise Http404
        # Written to a temporary file, not memory: a big PO's list streams from disk.
        out = tempfile.TemporaryFile()
        if list_name == "production":
            tally = ProductionTally.objects.filter(campaign=campaign).first()
            if tally is None:
                self.message_user(
                    request, gettext("No tally yet: the PO has not gone into production."), messages.ERROR
                )
                return HttpResponseRedirect(reverse("admin:campaigns_campaign_production", args=[campaign.pk]))
            production_list_write(tally=tally, out=out, file_format=file_format)
        else:
            packing_list_write(campaign=campaign, out=out, file_format=file_format)
        out.seek(0)
        return FileResponse(
            out,
            as_attachment=True,
            filename=f"{campaign.slug}-{list_name}.{file_format}",
            content_type=EXPORT_TYPES[file_format],
        )

    def labels_view(self, request, campaign_id):
        campaign = self._campaign(request, campaign_id)
        return TemplateResponse(
            request,
            "payments/address_labels.html",
            {
                "campaign": campaign,
                "labels": address_labels(campaign=campaign),
                "shop_name": settings.SHOP_NAME,
                "shop_address": settings.SHOP_RETURN_ADDRESS,
            },
        )
