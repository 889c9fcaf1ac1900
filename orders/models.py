import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, CampaignItem
from catalog.models import Variant

from .couriers import COURIER_CHOICES, courier_name, tracking_url


def new_order_token() -> str:
    return secrets.token_urlsafe(32)


class BankAccount(models.Model):
    """Where buyers transfer to; shown in every order's payment instructions."""

    bank_name = models.CharField(_("bank"), max_length=60, help_text=_("For example: BCA, Mandiri, BRI, BNI."))
    account_number = models.CharField(_("account number"), max_length=40)
    account_holder = models.CharField(_("account holder"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")

    def __str__(self):
        return f"{self.bank_name} {self.account_number} a.n. {self.account_holder}"


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Waiting for payment")
        DP_PAID = "dp_paid", _("DP paid")
        PAID = "paid", _("Paid in full")
        SHIPPED = "shipped", _("Shipped")
        COMPLETED = "completed", _("Completed")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    class PaymentPlan(models.TextChoices):
        FULL = "full", _("Pay in full")
        DOWN_PAYMENT = "dp", _("DP now, balance later")

    # The status groups, named once; every module reads them from here.
    # Orders that hold their units; the others gave them back.
    LIVE_STATUSES = (Status.PENDING_PAYMENT, Status.DP_PAID, Status.PAID, Status.SHIPPED, Status.COMPLETED)
    # Orders that take a payment now: the first one, or the balance.
    PAYABLE_STATUSES = (Status.PENDING_PAYMENT, Status.DP_PAID)
    # Orders with a DP or more in: their units are made, counted towards the goal and tallied.
    PAID_STATUSES = (Status.DP_PAID, Status.PAID, Status.SHIPPED, Status.COMPLETED)
    # Parcels still to pack: a DP or more in, not shipped yet.
    PACKABLE_STATUSES = (Status.DP_PAID, Status.PAID)
    # Orders paid in full, whether shipped yet or not.
    PAID_IN_FULL_STATUSES = (Status.PAID, Status.SHIPPED, Status.COMPLETED)
    # Live orders not shipped yet: a delay concerns them, and the seller may still cancel them.
    UNSHIPPED_STATUSES = (Status.PENDING_PAYMENT, Status.DP_PAID, Status.PAID)
    # Orders that ended: nothing more happens to them.
    ENDED_STATUSES = (Status.COMPLETED, Status.CANCELLED, Status.EXPIRED)
    # Orders that ended without being delivered: their units went back.
    CLOSED_UNFILLED_STATUSES = (Status.EXPIRED, Status.CANCELLED)

    # Set right after the insert from the primary key (PO-2611-00042); NULL until then.
    # Unique by the constraints below (on PostgreSQL unique=True would add a second, LIKE index, which no
    # query uses and every order's insert keeps).
    number = models.CharField(_("order number"), max_length=20, null=True, editable=False)  # noqa: DJ001
    token = models.CharField(max_length=64, default=new_order_token, editable=False)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="orders", verbose_name=_("campaign"), db_index=False
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT)
    payment_plan = models.CharField(_("payment plan"), max_length=10, choices=PaymentPlan.choices)

    buyer_name = models.CharField(_("name"), max_length=120)
    phone = models.CharField(_("WhatsApp number"), max_length=20, help_text=_("Stored as +62..."))
    email = models.EmailField(_("e-mail"), blank=True, help_text=_("Optional: without it, messages go on WhatsApp."))
    # The e-mail as counted for the per-buyer limit: siti+po2@gmail.com and s.i.t.i@gmail.com are siti@gmail.com.
    email_key = models.CharField(max_length=254, blank=True, editable=False)
    # A pseudonym of the client's address (preorder_shop.client), for the cap on unpaid orders.
    client_key = models.CharField(max_length=32, blank=True, editable=False)
    province = models.CharField(_("province"), max_length=60)
    city = models.CharField(_("city or regency"), max_length=80)
    district = models.CharField(_("district (kecamatan)"), max_length=80)
    postal_code = models.CharField(_("postal code"), max_length=5)
    street = models.TextField(_("street address"))
    note = models.TextField(_("order note"), blank=True)

    units = models.PositiveIntegerField(_("units"))
    total_idr = models.PositiveBigIntegerField(_("total (Rp)"), help_text=_("Goods and postage."))
    postage_idr = models.PositiveBigIntegerField(_("postage (Rp)"), default=0)
    # False while postage paid with the balance waits for the seller's weighing.
    postage_final = models.BooleanField(_("postage set"), default=True)
    weight_grams = models.PositiveIntegerField(_("weight (grams)"), default=0)
    first_payment_idr = models.PositiveBigIntegerField(
        _("first payment (Rp)"), help_text=_("The DP, or the total when paying in full; without the unique code.")
    )
    unique_code = models.PositiveSmallIntegerField(_("unique code"))
    first_transfer_idr = models.PositiveBigIntegerField(_("first transfer (Rp)"))
    # Placed while the kode unik still counted as paid (before orders/0019): these buyers were told a balance
    # without it, and keep that figure; later orders pay it as a surcharge on the first transfer.
    code_counts_as_paid = models.BooleanField(default=False, editable=False)
    payment_deadline = models.DateTimeField(_("pay by"))
    # Set while a payment the buyer sent waits for the seller: such an order does not expire.
    payment_awaiting_since = models.DateTimeField(_("payment waiting for confirmation since"), null=True, blank=True)
    balance_due_date = models.DateField(_("balance due date"), null=True, blank=True)
    terms_accepted_at = models.DateTimeField(_("terms accepted at"))
    language = models.CharField(_("language"), max_length=10, default="id", help_text=_("For e-mails to the buyer."))
    tracking_number = models.CharField(_("tracking number (resi)"), max_length=60, blank=True)
    courier = models.CharField(_("courier"), max_length=40, blank=True, choices=COURIER_CHOICES)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    personal_data_removed_at = models.DateTimeField(_("personal data removed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("ordered at"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            # The overdue unpaid orders, without a proof sent (to expire) and with one (to release it). Their
            # conditions are narrower than the unpaid amounts' unique index: a plan looking up an amount can
            # take no other index, even before the table has statistics.
            models.Index(
                fields=["payment_deadline"],
                condition=Q(status="pending_payment", payment_awaiting_since__isnull=True),
                name="order_unpaid_deadline",
            ),
            models.Index(
                fields=["payment_deadline"],
                condition=Q(status="pending_payment", payment_awaiting_since__isnull=False),
                name="order_awaiting_deadline",
            ),
            # These lead with the campaign: they serve its foreign key too.
            models.Index(fields=["campaign", "phone"], name="order_campaign_phone"),
            models.Index(fields=["campaign", "email_key"], name="order_campaign_email_key"),
            models.Index(fields=["campaign", "client_key", "status"], name="order_campaign_client"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(units__gt=0), name="order_units_positive"),
            models.CheckConstraint(
                condition=Q(unique_code__gte=1, unique_code__lte=9999), name="order_unique_code_range"
            ),
            models.CheckConstraint(
                condition=Q(first_payment_idr__lte=F("total_idr")), name="order_first_payment_within_total"
            ),
            models.CheckConstraint(condition=Q(postage_idr__lte=F("total_idr")), name="order_postage_within_total"),
            models.CheckConstraint(
                condition=Q(first_transfer_idr=F("first_payment_idr") + F("unique_code")),
                name="order_first_transfer_adds_code",
            ),
            models.UniqueConstraint(fields=["number"], name="order_number_unique"),
            models.UniqueConstraint(fields=["token"], name="order_token_unique"),
            # The seller tells transfers apart by amount: no two unpaid orders share one.
            models.UniqueConstraint(
                fields=["first_transfer_idr"],
                condition=Q(status="pending_payment"),
                name="order_unpaid_transfer_amount_unique",
            ),
        ]

    def __str__(self):
        return self.number or f"#{self.pk}"

    def get_absolute_url(self):
        return reverse("order_page", args=[self.token])

    @property
    def balance_idr(self) -> int:
        """What is left after the first payment: the balance the checkout promised (orders/checkout/quoting.py,
        balance_left_idr). The kode unik is a surcharge on the first transfer, not part of the total, but for
        the orders placed while it counted as paid (code_counts_as_paid)."""
        first = self.first_transfer_idr if self.code_counts_as_paid else self.first_payment_idr
        return max(self.total_idr - first, 0)

    @property
    def goods_total_idr(self) -> int:
        return self.total_idr - self.postage_idr

    @property
    def tracking_url(self) -> str | None:
        return tracking_url(self.courier, self.tracking_number)

    @property
    def courier_name(self) -> str:
        return courier_name(self.courier) if self.courier else ""


class OrderLine(models.Model):
    """What was ordered, with name and price copied at ordering time."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"))
    campaign_item = models.ForeignKey(
        CampaignItem, on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("campaign item")
    )
    variant = models.ForeignKey(
        Variant, on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("variant")
    )
    product_name = models.CharField(_("product"), max_length=150)
    variant_label = models.CharField(_("variant"), max_length=200, blank=True)
    sku = models.CharField(_("SKU"), max_length=80)
    unit_price_idr = models.PositiveBigIntegerField(_("unit price (Rp)"))
    quantity = models.PositiveIntegerField(_("quantity"))
    line_total_idr = models.PositiveBigIntegerField(_("line total (Rp)"))
    note = models.CharField(
        _("note for this item"),
        max_length=200,
        blank=True,
        help_text=_("For custom work: a name to embroider, a text on a cake."),
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(line_total_idr=F("unit_price_idr") * F("quantity")),
                name="order_line_total_is_price_times_quantity",
            ),
        ]

    def __str__(self):
        label = f"{self.product_name} ({self.variant_label})" if self.variant_label else self.product_name
        return f"{self.quantity} x {label}"


class OrderEvent(models.Model):
    """One status change: who, when, from, to and why. Never edited."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events", verbose_name=_("order"))
    at = models.DateTimeField(_("at"))
    from_status = models.CharField(_("from"), max_length=20, choices=Order.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Order.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("staff member")
    )
    actor_label = models.CharField(_("by"), max_length=60, help_text=_("buyer, system, or the staff member's name"))
    reason = models.TextField(_("reason"), blank=True)
    # A reason the shop wrote (not a person): kept as its English text and values, shown in the reader's language.
    reason_code = models.CharField(max_length=200, blank=True, editable=False)
    reason_params = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("order event")
        verbose_name_plural = _("order events")

    def __str__(self):
        return f"{self.from_status or '-'} -> {self.to_status}"

    @property
    def reason_shown(self) -> str:
        """The reason in the active language when the shop wrote it, else as the person wrote it."""
        if self.reason_code:
            try:
                return gettext(self.reason_code) % self.reason_params
            except (KeyError, TypeError, ValueError):
                return self.reason
        return self.reason


class CampaignDemand(Campaign):
    """Campaigns seen through their orders, for the seller's demand view."""

    class Meta:
        proxy = True
        verbose_name = _("demand per campaign")
        verbose_name_plural = _("demand per campaign")


class Message(models.Model):
    """One message to a buyer or the seller: the outbox row.

    Written in the same transaction as the change that causes it, once per
    key, then delivered by the worker (e-mail) and offered to the seller as a
    prefilled WhatsApp link. A broker outage delays it; nothing loses it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        NO_EMAIL = "no_email", _("No e-mail address")

    # Messages whose e-mail has not gone yet: the backlog.
    WAITING_STATUSES = (Status.PENDING, Status.SENDING)
    # Messages that reach their buyer only when the seller sends them on WhatsApp (no e-mail), not sent yet.
    WHATSAPP_ONLY_WAITING = Q(status=Status.NO_EMAIL, whatsapp_sent_at__isnull=True) & ~Q(to_phone="")

    class Audience(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        SELLER = "seller", _("Seller")

    # What makes it happen, e.g. "order:42:placed": the same occasion never writes two.
    key = models.CharField(max_length=200)  # unique: the constraint below, without a LIKE index
    kind = models.CharField(_("kind"), max_length=40)
    audience = models.CharField(
        pgettext_lazy("message recipient", "to"), max_length=10, choices=Audience.choices, default=Audience.BUYER
    )
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="messages", null=True, blank=True, verbose_name=_("order")
    )
    to_email = models.CharField(_("e-mail"), max_length=254, blank=True)
    to_phone = models.CharField(_("WhatsApp number"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=10, default="id")
    # Ids of what the message speaks of (a payment, a refund, an update), read when it is written out.
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("e-mail status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Who holds the claim: a retried task keeps its id, so it may take its own claim again.
    claim_token = models.CharField(max_length=64, blank=True, editable=False)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"), blank=True)
    created_at = models.DateTimeField(_("written at"))
    sent_at = models.DateTimeField(_("e-mail sent at"), null=True, blank=True)
    whatsapp_sent_at = models.DateTimeField(_("sent on WhatsApp at"), null=True, blank=True)
    whatsapp_sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent on WhatsApp by"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        # Not "messages": in Indonesian that reads "Pesan", right above the orders ("Pesanan") in the menu.
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="message_status_due"),
            # The messages that reach their buyer only on WhatsApp (no e-mail) and wait for the seller.
            models.Index(
                fields=["created_at"],
                condition=Q(status="no_email", whatsapp_sent_at__isnull=True),  # WHATSAPP_ONLY_WAITING's core
                name="message_whatsapp_only_waiting",
            ),
        ]
        constraints = [models.UniqueConstraint(fields=["key"], name="message_key_unique")]

    def __str__(self):
        return self.key
