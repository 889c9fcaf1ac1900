from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import Case, Prefetch, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from catalog.money import format_rupiah
from orders.admin import OrderAdminBase
from orders.exceptions import OrderError
from orders.models import Order

from .exceptions import PaymentError
from .ledger import amount_due_now, order_ledger
from .models import Payment, Refund
from .refunds import refund_mark_sent, refund_record
from .services import order_cancel, payment_confirm, payment_reject


def proof_preview(payment: Payment, size: int = 120):
    if not payment.proof:
        return "-"
    url = reverse("payments:proof_staff", args=[payment.pk])
    if payment.proof_content_type == "application/pdf":
        return format_html('<a href="{}" target="_blank" rel="noopener">PDF</a>', url)
    return format_html(
        '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" style="max-width:{}px;max-height:{}px"></a>',
        url,
        url,
        gettext("transfer proof"),
        size,
        size,
    )


class ReasonActionForm(ActionForm):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class RefundActionForm(ActionForm):
    method = forms.CharField(label=_("Method"), required=False, max_length=60)
    reference = forms.CharField(label=_("Reference"), required=False, max_length=100)


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    fields = [
        "submitted_at",
        "kind",
        "method",
        "amount",
        "status",
        "preview",
        "from_bank",
        "from_account_name",
        "rejection_reason",
    ]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("amount"))
    def amount(self, obj):
        return format_rupiah(obj.amount_idr)

    @admin.display(description=_("proof"))
    def preview(self, obj):
        return proof_preview(obj, size=60)


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ["created_at", "amount", "reason", "status", "method", "reference"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("amount"))
    def amount(self, obj):
        return format_rupiah(obj.amount_idr)


class OrderMoneyAdmin(OrderAdminBase):
    """The order admin with its payments, refunds and money; fulfilment.admin registers it with shipping."""

    inlines = [*OrderAdminBase.inlines, PaymentInline, RefundInline]
    action_form = ReasonActionForm
    actions = ["cancel_orders"]
    readonly_fields = [*OrderAdminBase.readonly_fields, "money"]
    fieldsets = [
        *OrderAdminBase.fieldsets[:3],
        (_("Money"), {"fields": ["money"]}),
        *OrderAdminBase.fieldsets[3:],
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(Prefetch("payments"), Prefetch("refunds"))

    @admin.display(description=_("paid, refunded, due"))
    def money(self, obj):
        ledger = order_ledger(obj)
        parts = [
            gettext("paid %(amount)s") % {"amount": format_rupiah(ledger.paid_idr)},
            gettext("waiting for confirmation %(amount)s") % {"amount": format_rupiah(ledger.awaiting_idr)},
            gettext("refunded %(amount)s") % {"amount": format_rupiah(ledger.refunded_idr)},
            gettext("refund due %(amount)s") % {"amount": format_rupiah(ledger.refund_due_idr)},
            gettext("still to pay %(amount)s") % {"amount": format_rupiah(ledger.due_idr)},
        ]
        if ledger.overpaid_idr:
            parts.append(
                gettext("OVERPAID by %(amount)s: record a refund or keep it")
                % {"amount": format_rupiah(ledger.overpaid_idr)}
            )
        return "; ".join(parts)

    @admin.action(
        permissions=["change"], description=_("Cancel the selected orders, refunding what they paid (give a reason)")
    )
    def cancel_orders(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, gettext("Give a reason; the buyer sees it."), messages.ERROR)
            return
        cancelled = 0
        for order in queryset:
            try:
                order_cancel(order=order, now=timezone.now(), actor=request.user, reason=reason)
            except OrderError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                cancelled += 1
        if cancelled:
            self.message_user(
                request,
                ngettext("%(count)d order cancelled.", "%(count)d orders cancelled.", cancelled) % {"count": cancelled},
                messages.SUCCESS,
            )


class PaymentStatusFilter(admin.SimpleListFilter):
    """Pending confirmations first: that is the seller's daily work."""

    title = _("status")
    parameter_name = "status"

    # A proof for an order that takes no more payment (cancelled, expired, paid meanwhile) waits apart: the
    # money, if it came, goes back to the buyer (confirming it records the refund).
    NOT_PAYABLE = "pending_not_payable"

    def lookups(self, request, model_admin):
        choices = list(Payment.Status.choices)
        choices.insert(1, (self.NOT_PAYABLE, _("Waiting, but the order takes no more payment")))
        return [*choices, ("all", _("All"))]

    def choices(self, changelist):
        value = self.value() or Payment.Status.PENDING
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or Payment.Status.PENDING
        if value == "all":
            return queryset
        if value == Payment.Status.PENDING:
            return queryset.filter(status=value, order__status__in=Order.PAYABLE_STATUSES)
        if value == self.NOT_PAYABLE:
            return queryset.filter(status=Payment.Status.PENDING).exclude(order__status__in=Order.PAYABLE_STATUSES)
        return queryset.filter(status=value)


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    # What the seller decides on first: the proof, what was sent against what is due now, the state with
    # any doubt on the proof, and whose it is; four columns fit beside the menu and the filters at 1280 px.
    list_display = ["preview", "amount_against_due", "state", "order_column"]
    list_display_links = None
    list_filter = [PaymentStatusFilter, "proof_flag", "kind", "method", "order__campaign"]
    search_fields = ["order__number", "order__buyer_name", "from_account_name", "provider_reference"]
    list_select_related = ["order"]
    action_form = ReasonActionForm

    actions = ["confirm_payments", "reject_payments", "reject_not_in_statement"]
    fields = [
        "proof_check",
        "order_link",
        "kind",
        "method",
        "status",
        "amount",
        "expected",
        "paid_on",
        "from_bank",
        "from_account_name",
        "large_preview",
        "submitted_at",
        "decided_at",
        "decided_by",
        "rejection_reason",
        "provider",
        "provider_reference",
        "provider_status",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("order"), ordering="order__number")
    def order_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[obj.order_id]), obj.order.number
        )

    @admin.display(description=_("buyer"))
    def buyer(self, obj):
        return obj.order.buyer_name

    @admin.display(description=_("amount"), ordering="amount_idr")
    def amount(self, obj):
        return format_rupiah(obj.amount_idr)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("order__payments", "order__refunds")

    def get_ordering(self, request):
        # A proof the bank statement disproves, then one sent for two orders: the seller checks those first.
        flagged_first = Case(
            When(proof_flag=Payment.ProofFlag.NOT_IN_STATEMENT, then=Value(0)),
            When(proof_flag=Payment.ProofFlag.REUSED, then=Value(1)),
            default=Value(2),
        )
        return [flagged_first.asc(), "submitted_at", "pk"]

    @admin.display(description=_("check"), ordering="proof_flag")
    def proof_check(self, obj):
        if not obj.proof_flag:
            return "-"
        return format_html(
            '<strong class="proof-flag">{}</strong><br>{}', obj.get_proof_flag_display(), obj.proof_flag_note
        )

    @admin.display(description=_("amount / due now"), ordering="amount_idr")
    def amount_against_due(self, obj):
        due = self.expected(obj)
        return format_html(
            '<a href="{}"><strong>{}</strong></a><br><small>{}</small>',
            reverse("admin:payments_payment_change", args=[obj.pk]),
            format_rupiah(obj.amount_idr),
            gettext("due now %(amount)s") % {"amount": due} if due != "-" else "",
        )

    @admin.display(description=_("status"), ordering="proof_flag")
    def state(self, obj):
        if obj.status == Payment.Status.PENDING and obj.order.status not in Order.PAYABLE_STATUSES:
            # Sent before the order ended: confirming it records a refund of it.
            ended = gettext("the order is %(status)s") % {"status": obj.order.get_status_display().lower()}
            return format_html('{}<br><strong class="proof-flag">{}</strong>', obj.get_status_display(), ended)
        if not obj.proof_flag:
            return obj.get_status_display()
        return format_html(
            '{}<br><strong class="proof-flag">{}</strong><br><small>{}</small>',
            obj.get_status_display(),
            obj.get_proof_flag_display(),
            obj.proof_flag_note,
        )

    @admin.display(description=_("order"), ordering="order__number")
    def order_column(self, obj):
        return format_html(
            "{}<br>{}<br><small>{} · {}<br>{}</small>",
            self.order_link(obj),
            obj.order.buyer_name,
            obj.get_kind_display(),
            obj.get_method_display(),
            date_format(timezone.localtime(obj.submitted_at), "j M Y H:i") if obj.submitted_at else "-",
        )

    @admin.display(description=_("due now"))
    def expected(self, obj):
        """Due now on the order, beside a waiting payment, so the seller spots partial and over-payments."""
        if obj.status != Payment.Status.PENDING or obj.order.status not in Order.PAYABLE_STATUSES:
            return "-"
        return format_rupiah(amount_due_now(obj.order, order_ledger(obj.order)))

    @admin.display(description=_("proof"))
    def preview(self, obj):
        return proof_preview(obj, size=120)

    @admin.display(description=_("proof"))
    def large_preview(self, obj):
        return proof_preview(obj, size=480)

    @admin.action(permissions=["change"], description=_("Confirm the selected payments"))
    def confirm_payments(self, request, queryset):
        confirmed = 0
        for payment_id in queryset.values_list("pk", flat=True):
            try:
                payment_confirm(payment_id=payment_id, actor=request.user, now=timezone.now())
            except PaymentError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                confirmed += 1
        if confirmed:
            self.message_user(
                request,
                ngettext("%(count)d payment confirmed.", "%(count)d payments confirmed.", confirmed)
                % {"count": confirmed},
                messages.SUCCESS,
            )

    @admin.action(permissions=["change"], description=_("Reject the selected payments (give the reason above)"))
    def reject_payments(self, request, queryset):
        reason = request.POST.get("reason", "")
        for payment_id in queryset.values_list("pk", flat=True):
            try:
                payment_reject(payment_id=payment_id, reason=reason, actor=request.user, now=timezone.now())
            except PaymentError as error:
                self.message_user(request, str(error), messages.ERROR)
                return
        self.message_user(request, gettext("Payments rejected; the buyers are told why."), messages.SUCCESS)

    @admin.action(permissions=["change"], description=_("Reject: the bank statement does not show this transfer"))
    def reject_not_in_statement(self, request, queryset):
        reason = gettext(
            "Our bank statement does not show this transfer. Check the amount and the account number "
            "you sent it to, and send the proof again."
        )
        rejected = 0
        for payment_id in queryset.values_list("pk", flat=True):
            try:
                payment_reject(payment_id=payment_id, reason=reason, actor=request.user, now=timezone.now())
            except PaymentError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                rejected += 1
        if rejected:
            self.message_user(
                request,
                ngettext(
                    "%(count)d payment rejected; the buyer is told why.",
                    "%(count)d payments rejected; the buyers are told why.",
                    rejected,
                )
                % {"count": rejected},
            )


class RefundAddForm(forms.ModelForm):
    class Meta:
        model = Refund
        fields = ["order", "amount_idr", "reason", "note"]

    def clean(self):
        cleaned = super().clean()
        order, amount = cleaned.get("order"), cleaned.get("amount_idr")
        if order and amount:
            held = order_ledger(order).held_idr
            if amount > held:
                self.add_error("amount_idr", gettext("The order holds only %(held)s.") % {"held": format_rupiah(held)})
            elif cleaned.get("reason") == Refund.Reason.OVERPAYMENT and amount > max(held - order.total_idr, 0):
                self.add_error(
                    "amount_idr",
                    gettext("The order is overpaid by %(over)s only; record more as the seller's decision.")
                    % {"over": format_rupiah(max(held - order.total_idr, 0))},
                )
        return cleaned


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["created_at", "order", "amount", "reason", "status", "method", "reference"]
    list_filter = ["status", "reason", "order__campaign"]
    search_fields = ["order__number", "order__buyer_name", "reference"]
    list_select_related = ["order"]
    autocomplete_fields = ["order"]
    action_form = RefundActionForm
    actions = ["mark_sent"]
    form = RefundAddForm

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "order",
            "amount_idr",
            "reason",
            "note",
            "status",
            "method",
            "reference",
            "created_at",
            "created_by",
            "sent_at",
            "sent_by",
        ]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj) or ["order", "amount_idr", "reason", "note"]

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("amount"), ordering="amount_idr")
    def amount(self, obj):
        return format_rupiah(obj.amount_idr)

    def save_model(self, request, obj, form, change):
        # Through the service, which checks again under the order's lock.
        saved = refund_record(
            order=obj.order,
            amount_idr=obj.amount_idr,
            reason=obj.reason,
            note=obj.note,
            actor=request.user,
            now=timezone.now(),
        )
        obj.pk = saved.pk

    @admin.action(
        permissions=["change"], description=_("Mark the selected refunds as sent (give method and reference)")
    )
    def mark_sent(self, request, queryset):
        for refund_id in queryset.values_list("pk", flat=True):
            try:
                refund_mark_sent(
                    refund_id=refund_id,
                    method=request.POST.get("method", ""),
                    reference=request.POST.get("reference", ""),
                    actor=request.user,
                    now=timezone.now(),
                )
            except PaymentError as error:
                self.message_user(request, str(error), messages.ERROR)
                return
        self.message_user(request, gettext("Refunds marked as sent; the buyers are told."), messages.SUCCESS)


# Bank statements have an admin module of their own.
from . import admin_statements  # noqa: E402, F401
