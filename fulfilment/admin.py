"""The seller's view of a PO after (and while) it runs, and the one place that registers the
Campaign and Order admins: campaigns' and orders' own, with payments' money, and here the
overview on the campaign page, the steps after the window, the production tally with its lists
and exports, the address labels, shipping (one order or a file) and postage after weighing."""

import tempfile

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from campaigns.admin import CampaignAdminBase
from campaigns.exceptions import CampaignError
from campaigns.forms import CampaignUpdateForm
from campaigns.models import Campaign, CampaignItem, CampaignUpdate
from catalog.models import shop_profile
from catalog.money import format_rupiah
from demand.admin import CampaignInterestAdminMixin
from orders.couriers import COURIER_CHOICES
from orders.models import Message, Order
from orders.selectors import campaign_demand
from payments.admin import OrderMoneyAdmin, ReasonActionForm
from payments.selectors import campaign_money

from .exceptions import FulfilmentError
from .exports import (
    FILE_EXTENSIONS,
    address_labels,
    packing_list_write,
    production_list_write,
    tally_matrices_noted,
    tally_order_notes,
)
from .models import ProductionTally
from .selectors import (
    campaign_delay_summaries,
    campaign_paid_units,
    campaign_waiting_first_payments,
)
from .services import (
    campaign_cancel,
    campaign_complete,
    campaign_production_blocker,
    campaign_production_start,
    campaign_shipping_start,
    campaign_tally_recompute,
    campaign_unpaid_orders_cancel,
    campaign_update_announce,
    order_personal_data_delete,
    order_postage_set,
    order_ship,
    production_holdups,
)
from .shipping_import import ShipmentImportAdminMixin

EXPORT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "csv-excel": "text/csv",  # semicolon-separated, for an Excel set to Indonesian
}
LISTS = ("production", "packing")


class CampaignProductionAdminMixin:
    """The overview, the production page, the lists and the labels, mixed into the campaign admin below."""

    class Media:
        js = ["vendor/chartjs/chart.umd.min.js", "js/admin_po_chart.js"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        if obj.stage != Campaign.Stage.DRAFT:
            # Once published, what was set up once folds away under its heading (the quotas only once the
            # window has ended: until then the seller may raise them); the overview stays open.
            selling = obj.stage == Campaign.Stage.PUBLISHED
            fieldsets = [
                (
                    name or _("Title, description and share image"),
                    options
                    if selling and "quota_total" in options.get("fields", ())
                    else {**options, "classes": ["collapse"]},
                )
                for name, options in fieldsets
            ]
        return [(_("This PO at a glance"), {"fields": ["po_overview"]}), *fieldsets]

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        if obj is not None and obj.stage != Campaign.Stage.DRAFT:
            # The updates are history (a new one is posted from its own page); the items, once the window ended.
            settled = obj.stage != Campaign.Stage.PUBLISHED
            for inline in inlines:
                if inline.model is CampaignUpdate or (settled and inline.model is CampaignItem):
                    inline.classes = [*(inline.classes or []), "collapse"]
        return inlines

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), "shortcuts": self._shortcuts(request, object_id)}
        )

    def _shortcuts(self, request, object_id) -> list[tuple[str, str]]:
        """The seller's common steps, as links atop the campaign's page: (label, address)."""
        campaign = Campaign.objects.filter(pk=object_id).only("stage").first() if str(object_id).isdigit() else None
        if campaign is None:
            return []
        shortcuts = []
        if campaign.stage != Campaign.Stage.DRAFT and request.user.has_perm("orders.view_order"):
            shortcuts += [
                (gettext("Post an update for buyers"), reverse("admin:campaigns_campaign_update", args=[campaign.pk])),
                (
                    gettext("Production, lists and labels"),
                    reverse("admin:campaigns_campaign_production", args=[campaign.pk]),
                ),
                (gettext("Orders"), reverse("admin:orders_order_changelist") + f"?campaign__id__exact={campaign.pk}"),
                (
                    gettext("Messages to buyers"),
                    reverse("admin:orders_message_changelist") + f"?order__campaign__id__exact={campaign.pk}",
                ),
                (gettext("Demand per variant"), reverse("admin:orders_campaigndemand_demand", args=[campaign.pk])),
            ]
        shortcuts.insert(
            min(2, len(shortcuts)),
            (gettext("Postage per province"), reverse("admin:campaigns_campaign_postage", args=[campaign.pk])),
        )
        return shortcuts

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "po_overview"]

    @admin.display(description=_("overview"))
    def po_overview(self, obj):
        if not obj or not obj.pk:
            return "-"
        variants, days = campaign_demand(campaign=obj)
        return render_to_string(
            "admin/fulfilment/po_overview.html",
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
            path("<int:campaign_id>/update/", view(self.update_view), name="campaigns_campaign_update"),
        ] + super().get_urls()

    def update_view(self, request, campaign_id):
        """Post an update for buyers, reached from the top of the campaign's page; every live buyer is told."""
        campaign = self._campaign(request, campaign_id, change=request.method == "POST")
        form = CampaignUpdateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            update = campaign_update_announce(
                campaign=campaign, posted_by=request.user, now=timezone.now(), **form.cleaned_data
            )
            told = Message.objects.filter(params__update_id=update.pk).count()
            self.message_user(
                request,
                ngettext(
                    "The update is posted; %(count)d buyer is told.",
                    "The update is posted; %(count)d buyers are told.",
                    told,
                )
                % {"count": told},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Post an update for buyers: %(campaign)s") % {"campaign": campaign.title},
            "campaign": campaign,
            "form": form,
            "buyers": Order.objects.filter(campaign=campaign, status__in=Order.UNSHIPPED_STATUSES).count(),
            "updates": campaign.updates.all()[:10],
            "can_change": self.has_change_permission(request, campaign),
        }
        return TemplateResponse(request, "admin/fulfilment/campaign_update.html", context)

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
            if action in ("cancel_unpaid", "cancel_unpaid_confirmed"):
                return self._unpaid_cancel(request, campaign, confirmed=action == "cancel_unpaid_confirmed")
            try:
                if action == "start":
                    campaign_production_start(campaign=campaign, now=timezone.now())
                    self.message_user(
                        request, gettext("The tally is taken; the PO is in production."), messages.SUCCESS
                    )
                elif action == "recompute":
                    campaign_tally_recompute(campaign=campaign, now=timezone.now())
                    self.message_user(request, gettext("The tally is counted again."), messages.SUCCESS)
            except FulfilmentError as error:
                self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(request.path)
        tally = ProductionTally.objects.filter(campaign=campaign).first()
        order_notes = tally_order_notes(tally) if tally else {}
        tallying = campaign.stage == Campaign.Stage.TALLYING
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Production: %(campaign)s") % {"campaign": campaign.title},
            "campaign": campaign,
            "tally": tally,
            "matrices": tally_matrices_noted(tally, order_notes) if tally else [],
            "order_notes": order_notes,
            "blocker": campaign_production_blocker(campaign=campaign, now=timezone.now()) if tallying else "",
            "waiting": campaign_waiting_first_payments(campaign=campaign),
            "holdups": list(production_holdups(campaign=campaign)) if tallying else [],
            "can_change": self.has_change_permission(request, campaign),
            "can_cancel": request.user.has_perm("orders.change_order"),
        }
        return TemplateResponse(request, "admin/fulfilment/production.html", context)

    def _unpaid_cancel(self, request, campaign, *, confirmed: bool):
        """The unpaid orders holding the tally back, cancelled in one step: the seller ticks them and gives a
        reason, confirms on the page this shows, and one service cancels them all."""
        if not request.user.has_perm("orders.change_order"):
            raise PermissionDenied
        reason = request.POST.get("reason", "").strip()
        order_ids = [int(value) for value in request.POST.getlist("order") if value.isdigit()]
        if not reason or not order_ids:
            self.message_user(request, gettext("Tick the orders to cancel and give a reason."), messages.ERROR)
            return HttpResponseRedirect(request.path)
        if not confirmed:
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": gettext("Cancel these unpaid orders?"),
                "campaign": campaign,
                "orders": production_holdups(campaign=campaign).filter(pk__in=order_ids, proofs_waiting=0),
                "reason": reason,
            }
            return TemplateResponse(request, "admin/fulfilment/production_cancel_confirm.html", context)
        try:
            cancelled = campaign_unpaid_orders_cancel(
                campaign=campaign, order_ids=order_ids, reason=reason, actor=request.user, now=timezone.now()
            )
        except FulfilmentError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request,
                ngettext(
                    "%(count)d order cancelled; its buyer is told.",
                    "%(count)d orders cancelled; their buyers are told.",
                    len(cancelled),
                )
                % {"count": len(cancelled)},
                messages.SUCCESS if cancelled else messages.WARNING,
            )
        return HttpResponseRedirect(request.path)

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
            filename=f"{campaign.slug}-{list_name}.{FILE_EXTENSIONS[file_format]}",
            content_type=EXPORT_TYPES[file_format],
        )

    def labels_view(self, request, campaign_id):
        campaign = self._campaign(request, campaign_id)
        profile = shop_profile()
        return TemplateResponse(
            request,
            "fulfilment/address_labels.html",
            {
                "campaign": campaign,
                "labels": address_labels(campaign=campaign),
                # Who sends the parcels: the shop's profile, unless the operator set a return address.
                "shop_name": profile.shop_name if profile else settings.SHOP_NAME,
                "shop_address": settings.SHOP_RETURN_ADDRESS or (profile.address if profile else ""),
            },
        )


@admin.register(Campaign)
class CampaignAdmin(CampaignInterestAdminMixin, CampaignProductionAdminMixin, CampaignAdminBase):
    """Every step after the window is one action calling the service named for it; a refused step says why."""

    action_form = ReasonActionForm
    actions = [*CampaignAdminBase.actions, "start_production", "start_shipping", "complete", "cancel"]

    # A new update is told to every live buyer; a delay asks each to keep or cancel.
    update_post = staticmethod(campaign_update_announce)

    def _step(self, request, queryset, service, done: str, **arguments):
        for campaign in queryset:
            try:
                service(campaign=campaign, now=timezone.now(), **arguments)
            except (FulfilmentError, CampaignError) as error:
                message = str(error)
                if campaign.title not in message:
                    message = f"{campaign.title}: {message}"
                self.message_user(request, message, messages.ERROR)
            else:
                self.message_user(request, done % {"campaign": campaign.title}, messages.SUCCESS)

    @admin.action(permissions=["change"], description=_("Take the tally and start production (after closing)"))
    def start_production(self, request, queryset):
        self._step(
            request, queryset, campaign_production_start, gettext("%(campaign)s: the tally is taken; in production.")
        )

    @admin.action(permissions=["change"], description=_("Start shipping"))
    def start_shipping(self, request, queryset):
        self._step(request, queryset, campaign_shipping_start, gettext("%(campaign)s: now shipping."))

    @admin.action(permissions=["change"], description=_("Mark completed (every order has ended)"))
    def complete(self, request, queryset):
        self._step(request, queryset, campaign_complete, gettext("%(campaign)s: completed."))

    @admin.action(permissions=["change"], description=_("Cancel the PO and refund every buyer (give a reason)"))
    def cancel(self, request, queryset):
        self._step(
            request,
            queryset,
            campaign_cancel,
            gettext("%(campaign)s is cancelled; refunds are recorded."),
            reason=request.POST.get("reason", ""),
            actor=request.user,
        )


class OrderActionForm(ActionForm):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)
    courier = forms.ChoiceField(label=_("Courier"), required=False, choices=[("", "-"), *COURIER_CHOICES])
    resi = forms.CharField(label=_("Resi"), required=False, max_length=40)
    postage = forms.IntegerField(label=_("Postage (Rp)"), required=False, min_value=0, max_value=10_000_000)


@admin.register(Order)
class OrderAdmin(ShipmentImportAdminMixin, OrderMoneyAdmin):
    """Orders with their money (payments), shipping, postage after weighing and the buyer's data on request."""

    action_form = OrderActionForm
    actions = ["cancel_orders", "ship_order", "set_postage", "delete_personal_data"]

    @admin.action(permissions=["change"], description=_("Delete the buyer's personal data (on request; ended orders)"))
    def delete_personal_data(self, request, queryset):
        for order in queryset:
            try:
                order_personal_data_delete(order=order, now=timezone.now())
            except FulfilmentError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("%(number)s: the buyer's personal data is deleted.") % {"number": order.number},
                    messages.SUCCESS,
                )

    @admin.action(permissions=["change"], description=_("Mark shipped (choose the courier, type the resi)"))
    def ship_order(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(
                request, gettext("Select one order, or upload a file under Import for many."), messages.ERROR
            )
            return
        try:
            order = order_ship(
                order=queryset.get(),
                courier=request.POST.get("courier", ""),
                tracking_number=request.POST.get("resi", ""),
                actor=request.user,
                now=timezone.now(),
            )
        except FulfilmentError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request, gettext("%(number)s shipped; the buyer is told.") % {"number": order.number}, messages.SUCCESS
            )

    @admin.action(permissions=["change"], description=_("Set the postage after weighing (type the amount)"))
    def set_postage(self, request, queryset):
        try:
            postage = int(request.POST.get("postage", ""))
        except ValueError:
            self.message_user(request, gettext("Type the postage in whole rupiah."), messages.ERROR)
            return
        for order in queryset:
            try:
                order_postage_set(order=order, postage_idr=postage, actor=request.user, now=timezone.now())
            except FulfilmentError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("%(number)s: postage %(amount)s.")
                    % {"number": order.number, "amount": format_rupiah(postage)},
                    messages.SUCCESS,
                )
