from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from catalog.money import format_rupiah

from .models import BankAccount, CampaignDemand, Message, Order, OrderEvent, OrderLine
from .outbox import (
    KIND_LABELS,
    message_retry,
    message_whatsapp_mark_sent,
    message_whatsapp_url,
    outbox_backlog,
)
from .selectors import campaign_demand

Status = Order.Status


@admin.register(BankAccount)
class BankAccountAdmin(admin.ModelAdmin):
    list_display = ["bank_name", "account_number", "account_holder", "is_active", "position"]
    list_editable = ["is_active", "position"]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = ["product_name", "variant_label", "sku", "quantity", "unit_price", "line_total", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("unit price"))
    def unit_price(self, obj):
        return format_rupiah(obj.unit_price_idr)

    @admin.display(description=_("line total"))
    def line_total(self, obj):
        return format_rupiah(obj.line_total_idr)


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    fields = ["at", "from_status", "to_status", "actor_label", "reason"]
    readonly_fields = fields
    verbose_name_plural = _("timeline")

    def has_add_permission(self, request, obj=None):
        return False


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("first", _("First payment overdue")), ("balance", _("Balance overdue"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "first":
            return queryset.filter(status=Status.PENDING_PAYMENT, payment_deadline__lte=now)
        if self.value() == "balance":
            return queryset.filter(status=Status.DP_PAID, balance_due_date__lt=timezone.localdate(now))
        return queryset


def whatsapp_url(order: Order) -> str:
    text = gettext("Hello %(name)s, this is %(shop)s about your order %(number)s (%(campaign)s).") % {
        "name": order.buyer_name,
        "shop": settings.SHOP_NAME,
        "number": order.number,
        "campaign": order.campaign.title,
    }
    return f"https://wa.me/{order.phone.lstrip('+')}?{urlencode({'text': text})}"


class OrderAdminBase(admin.ModelAdmin):
    """The order admin without money; payments.admin registers it with payments and refunds."""

    # Five columns fit beside the menu and the filters at 1280 px: what the seller reads first is in the first
    # line of each, the rest below it in small letters.
    list_display = ["order", "buyer", "status_column", "units", "total"]
    list_display_links = None
    list_filter = ["status", "payment_plan", OverdueFilter, "campaign"]
    search_fields = ["number", "buyer_name", "phone", "email"]
    list_select_related = ["campaign"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, OrderEventInline]
    fieldsets = [
        (None, {"fields": ["number", "campaign", "status", "payment_plan", "created_at", "buyer_link"]}),
        (_("Buyer"), {"fields": ["buyer_name", "phone", "whatsapp", "messages_link", "email", "note"]}),
        (_("Shipping address"), {"fields": ["street", "district", "city", "province", "postal_code"]}),
        (
            _("Amounts"),
            {
                "fields": [
                    "units",
                    "total",
                    "first_payment",
                    "unique_code",
                    "first_transfer",
                    "balance",
                    "payment_deadline",
                    "balance_due_date",
                    "terms_accepted_at",
                ]
            },
        ),
        (_("Courier and tracking"), {"fields": ["courier", "tracking_number"]}),
    ]

    # Everything shown is read-only but the buyer's contact, address, note and shipping details.
    readonly_fields = [
        name
        for _title, options in fieldsets
        for name in options["fields"]
        if name
        not in {
            "buyer_name",
            "phone",
            "email",
            "note",
            "street",
            "district",
            "city",
            "province",
            "postal_code",
        }
    ]

    def has_add_permission(self, request):
        # Orders come from buyers at checkout, where quotas are checked.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("WhatsApp"))
    def whatsapp(self, obj):
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', whatsapp_url(obj), obj.phone)

    @admin.display(description=_("order"), ordering="created_at")
    def order(self, obj):
        return format_html(
            '<a href="{}"><strong>{}</strong></a><br><small>{}<br>{}</small>',
            reverse("admin:orders_order_change", args=[obj.pk]),
            obj.number,
            date_format(timezone.localtime(obj.created_at), "j M Y H:i"),
            obj.campaign.title,
        )

    @admin.display(description=_("buyer"), ordering="buyer_name")
    def buyer(self, obj):
        return format_html("{}<br><small>{}</small>", obj.buyer_name, self.whatsapp(obj))

    @admin.display(description=_("status"), ordering="status")
    def status_column(self, obj):
        if obj.status == Status.PENDING_PAYMENT:
            when = date_format(timezone.localtime(obj.payment_deadline), "j M H:i")
            detail = gettext("%(plan)s; pay by %(when)s") % {"plan": obj.get_payment_plan_display(), "when": when}
        else:
            detail = obj.get_payment_plan_display()
        return format_html(
            '<span data-status="{}">{}</span><br><small>{}</small>', obj.status, obj.get_status_display(), detail
        )

    @admin.display(description=_("total"), ordering="total_idr")
    def total(self, obj):
        return format_rupiah(obj.total_idr)

    @admin.display(description=_("first payment"))
    def first_payment(self, obj):
        return format_rupiah(obj.first_payment_idr)

    @admin.display(description=_("first transfer (with unique code)"))
    def first_transfer(self, obj):
        return format_rupiah(obj.first_transfer_idr)

    @admin.display(description=_("balance"))
    def balance(self, obj):
        return format_rupiah(obj.balance_idr)

    @admin.display(description=_("messages"))
    def messages_link(self, obj):
        url = reverse("admin:orders_message_changelist") + "?" + urlencode({"order__id__exact": obj.pk})
        return format_html('<a href="{}">{}</a>', url, gettext("Messages to this buyer (e-mail and WhatsApp)"))

    @admin.display(description=_("buyer's page"))
    def buyer_link(self, obj):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>', obj.get_absolute_url(), gettext("open")
        )


@admin.register(CampaignDemand)
class CampaignDemandAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "closes_at", "reserved", "demand_link"]
    search_fields = ["title"]
    list_filter = ["stage"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_order")

    @admin.display(description=_("status"))
    def status(self, obj):
        return obj.status.label

    @admin.display(description=_("units reserved"))
    def reserved(self, obj):
        return f"{obj.units_reserved} / {obj.quota_total}" if obj.quota_total else obj.units_reserved

    @admin.display(description=_("demand"))
    def demand_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_campaigndemand_demand", args=[obj.pk]),
            gettext("per variant and day"),
        )

    def get_urls(self):
        return [
            path(
                "<int:campaign_id>/demand/",
                self.admin_site.admin_view(self.demand_view),
                name="orders_campaigndemand_demand",
            )
        ] + super().get_urls()

    def demand_view(self, request, campaign_id):
        # admin_view only checks is_staff: orders are for staff allowed to see them.
        if not self.has_view_permission(request):
            raise PermissionDenied
        campaign = get_object_or_404(CampaignDemand, pk=campaign_id)
        variants, days = campaign_demand(campaign=campaign)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Demand: %(campaign)s") % {"campaign": campaign.title},
            "campaign": campaign,
            "variants": variants,
            "days": days,
            "orders_url": reverse("admin:orders_order_changelist")
            + "?"
            + urlencode({"campaign__id__exact": campaign.pk}),
            "units_unpaid": sum(row.units_unpaid for row in variants),
            "units_paid": sum(row.units_paid for row in variants),
        }
        return TemplateResponse(request, "admin/orders/campaign_demand.html", context)


class WhatsAppFilter(admin.SimpleListFilter):
    title = _("WhatsApp")
    parameter_name = "whatsapp"

    def lookups(self, request, model_admin):
        return [("todo", _("Not sent on WhatsApp yet")), ("sent", _("Sent on WhatsApp"))]

    def queryset(self, request, queryset):
        if self.value() == "todo":
            return queryset.filter(whatsapp_sent_at__isnull=True).exclude(to_phone="")
        if self.value() == "sent":
            return queryset.filter(whatsapp_sent_at__isnull=False)
        return queryset


class MessageKindFilter(admin.SimpleListFilter):
    """The kinds of the messages written so far, by their names ("Order shipped", not order_shipped)."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        kinds = Message.objects.order_by().values_list("kind", flat=True).distinct()
        return sorted(((kind, KIND_LABELS.get(kind, kind)) for kind in kinds), key=lambda choice: str(choice[1]))

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """The outbox: what the shop told (or will tell) whom, by e-mail and on WhatsApp."""

    # The WhatsApp button near the left, so that it is in view beside the menu and the filters at 1280 px.
    list_display = ["message", "recipient", "whatsapp", "email_status"]
    list_display_links = None
    list_filter = ["status", WhatsAppFilter, MessageKindFilter, "audience", "order__campaign"]
    search_fields = ["order__number", "to_email", "to_phone", "key"]
    list_select_related = ["order"]
    date_hierarchy = "created_at"
    actions = ["retry", "mark_whatsapp_sent"]
    fields = [
        "kind",
        "audience",
        "order",
        "to_email",
        "to_phone",
        "language",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "sent_at",
        "whatsapp_sent_at",
        "whatsapp_sent_by",
        "subject",
        "body",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # First the messages that reach their buyer only on WhatsApp and wait for the seller, then the newest.
        waiting = Message.WHATSAPP_ONLY_WAITING
        # As ModelAdmin.get_queryset does, but annotated before its ordering uses the annotation.
        queryset = self.model._default_manager.get_queryset().annotate(
            whatsapp_only_waiting=ExpressionWrapper(waiting, output_field=BooleanField())
        )
        return queryset.order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        return ["-whatsapp_only_waiting", "-created_at", "-pk"]

    @admin.display(description=_("message"), ordering="created_at")
    def message(self, obj):
        return format_html(
            '<a href="{}">{}</a><br><small>{}</small>',
            reverse("admin:orders_message_change", args=[obj.pk]),
            KIND_LABELS.get(obj.kind, obj.kind),
            date_format(timezone.localtime(obj.created_at), "j M Y H:i"),
        )

    @admin.display(description=pgettext_lazy("message recipient", "to"))
    def recipient(self, obj):
        order = (
            format_html(
                '<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[obj.order_id]), obj.order.number
            )
            if obj.order_id
            else obj.get_audience_display()
        )
        return format_html("{}<br><small>{}</small>", order, obj.to_email or obj.to_phone or "-")

    @admin.display(description=_("e-mail"), ordering="status")
    def email_status(self, obj):
        detail = obj.last_error[:120] if obj.last_error else ""
        if obj.attempts:
            attempts = ngettext("%(count)d attempt", "%(count)d attempts", obj.attempts) % {"count": obj.attempts}
            detail = f"{attempts}: {detail}" if detail else attempts
        return format_html("{}<br><small>{}</small>", obj.get_status_display(), detail)

    @admin.display(description=_("WhatsApp"))
    def whatsapp(self, obj):
        if not obj.to_phone:
            return "-"
        if obj.whatsapp_sent_at:
            return gettext("sent %(when)s") % {"when": date_format(timezone.localtime(obj.whatsapp_sent_at), "j M H:i")}
        return format_html(
            '<a class="button" style="display: inline-block; text-align: center" href="{}">{}</a>',
            reverse("admin:orders_message_whatsapp", args=[obj.pk]),
            gettext("Send on WhatsApp"),
        )

    def get_urls(self):
        return [
            path(
                "<int:message_id>/whatsapp/",
                self.admin_site.admin_view(self.whatsapp_view),
                name="orders_message_whatsapp",
            )
        ] + super().get_urls()

    def whatsapp_view(self, request, message_id):
        """Shows the prefilled text; opening WhatsApp from here marks it sent, once."""
        message = get_object_or_404(Message.objects.select_related("order"), pk=message_id)
        if not self.has_change_permission(request, message):
            raise PermissionDenied
        url = message_whatsapp_url(message)
        if request.method == "POST":
            if message_whatsapp_mark_sent(message=message, actor=request.user, now=timezone.now()):
                return HttpResponseRedirect(url)
            self.message_user(request, gettext("This message was already sent on WhatsApp."), messages.WARNING)
            return HttpResponseRedirect(reverse("admin:orders_message_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Send on WhatsApp"),
            "message_row": message,
            "whatsapp_text": f"{message.subject}\n\n{message.body}".strip(),
            "kind_label": KIND_LABELS.get(message.kind, message.kind),
        }
        return TemplateResponse(request, "admin/orders/message_whatsapp.html", context)

    def changelist_view(self, request, extra_context=None):
        backlog = outbox_backlog()
        return super().changelist_view(request, {**(extra_context or {}), "backlog": backlog})

    @admin.action(permissions=["change"], description=_("Send the failed e-mails again"))
    def retry(self, request, queryset):
        retried = sum(message_retry(message=message, now=timezone.now()) for message in queryset)
        self.message_user(
            request,
            ngettext("%(count)d message will be sent again.", "%(count)d messages will be sent again.", retried)
            % {"count": retried},
            messages.SUCCESS,
        )

    @admin.action(permissions=["change"], description=_("Mark as sent on WhatsApp"))
    def mark_whatsapp_sent(self, request, queryset):
        marked = sum(
            message_whatsapp_mark_sent(message=message, actor=request.user, now=timezone.now()) for message in queryset
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d message marked as sent on WhatsApp.",
                "%(count)d messages marked as sent on WhatsApp.",
                marked,
            )
            % {"count": marked},
            messages.SUCCESS,
        )
