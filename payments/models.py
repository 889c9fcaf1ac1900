import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orders.models import BankAccount, Order
from preorder_shop.storage import private_storage


def private_proof_storage():
    """Transfer proofs (and imports waiting for confirmation) go to the private storage: no public URL, read
    only by the views that check who asks (preorder_shop.storage)."""
    return private_storage


def proof_upload_to(instance, filename: str) -> str:
    # A random name: nothing of what the buyer called the file is kept.
    extension = filename.rsplit(".", 1)[-1]
    return f"proofs/{instance.order_id}/{secrets.token_hex(16)}.{extension}"


class Payment(models.Model):
    """Money the buyer says they paid (bank transfer) or a gateway reports."""

    class Kind(models.TextChoices):
        DOWN_PAYMENT = "dp", _("DP")
        BALANCE = "balance", _("Balance (pelunasan)")
        FULL = "full", _("Full payment")

    class Method(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        GATEWAY = "gateway", _("Payment gateway")

    class ProofFlag(models.TextChoices):
        NOT_IN_STATEMENT = "not_in_statement", _("Not in the bank statement")
        REUSED = "reused", _("Same picture as another order's proof")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments", verbose_name=_("order"))
    kind = models.CharField(_("for"), max_length=10, choices=Kind.choices)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices, default=Method.BANK_TRANSFER)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    amount_idr = models.PositiveBigIntegerField(_("amount (Rp)"))
    paid_on = models.DateField(_("transfer date"), null=True, blank=True)
    from_bank = models.CharField(_("from bank"), max_length=60, blank=True)
    from_account_name = models.CharField(_("from account name"), max_length=120, blank=True)
    proof = models.FileField(_("transfer proof"), storage=private_proof_storage, upload_to=proof_upload_to, blank=True)
    proof_content_type = models.CharField(max_length=40, blank=True, editable=False)
    submitted_at = models.DateTimeField(_("submitted at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    # A gateway's own id for the transaction; one payment per provider transaction.
    provider = models.CharField(_("provider"), max_length=20, blank=True)
    provider_reference = models.CharField(_("provider transaction"), max_length=100, blank=True)
    provider_status = models.CharField(_("provider status"), max_length=30, blank=True)
    # The cleaned proof's SHA-256, and for a picture its perceptual hash (imagehash.phash, 16x16, hex):
    # the same screenshot sent for two orders is found by either.
    proof_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    proof_phash = models.CharField(max_length=64, blank=True, editable=False)
    proof_flag = models.CharField(_("proof check"), max_length=20, choices=ProofFlag.choices, blank=True)
    proof_flag_note = models.CharField(_("why"), max_length=300, blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount_idr__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(
                fields=["provider", "provider_reference"],
                condition=~Q(provider_reference=""),
                name="payment_provider_transaction_unique",
            ),
            # One bank transfer at a time waits for the seller: a double click records one.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status="pending", method="bank_transfer"),
                name="payment_one_waiting_transfer_per_order",
            ),
        ]

    def __str__(self):
        return f"{self.order} {self.get_kind_display()} {self.amount_idr}"


class Refund(models.Model):
    """Money owed back to the buyer, and then sent."""

    class Reason(models.TextChoices):
        ORDER_CANCELLED = "order_cancelled", _("Order cancelled")
        ORDER_ENDED = "order_ended", _("Paid after the order had ended")
        CAMPAIGN_FAILED = "campaign_failed", _("PO failed or cancelled")
        OVERPAYMENT = "overpayment", _("Overpayment")
        DELAY = "delay", _("Cancelled by the buyer after a delay")
        SELLER_DECISION = "seller_decision", _("Seller's decision")

    class Status(models.TextChoices):
        DUE = "due", _("Due")
        SENT = "sent", _("Sent")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("order"))
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds", null=True, blank=True, verbose_name=_("payment")
    )
    amount_idr = models.PositiveBigIntegerField(_("amount (Rp)"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DUE)
    method = models.CharField(_("method"), max_length=60, blank=True, help_text=_("For example: transfer to BCA."))
    reference = models.CharField(_("reference"), max_length=100, blank=True, help_text=_("The transfer's reference."))
    created_at = models.DateTimeField(_("recorded at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [models.CheckConstraint(condition=Q(amount_idr__gt=0), name="refund_amount_positive")]

    def __str__(self):
        return f"{self.order} {self.amount_idr}"


class Reminder(models.Model):
    """One message of a kind sent for an order, so a job run twice sends it once."""

    class Kind(models.TextChoices):
        BALANCE_SOON = "balance_soon", _("Balance due in a few days")
        BALANCE_TOMORROW = "balance_tomorrow", _("Balance due tomorrow")
        BALANCE_OVERDUE = "balance_overdue", _("Balance overdue")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "kind"], name="reminder_once_per_kind")]

    def __str__(self):
        return f"{self.order} {self.kind}"


class BankStatementImport(models.Model):
    """One statement file imported for one of the shop's bank accounts, and what it did."""

    bank_account = models.ForeignKey(
        BankAccount, on_delete=models.PROTECT, related_name="statement_imports", verbose_name=_("bank account")
    )
    file_name = models.CharField(_("file"), max_length=200)
    layout = models.CharField(_("layout"), max_length=20)
    imported_at = models.DateTimeField(_("imported at"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    # The days the file covers (its first and last transaction): a proof dated inside is checked against it.
    first_date = models.DateField(_("from"), null=True, blank=True)
    last_date = models.DateField(_("to"), null=True, blank=True)
    lines_read = models.PositiveIntegerField(_("lines read"), default=0)
    credits = models.PositiveIntegerField(_("new credits"), default=0)
    already_imported = models.PositiveIntegerField(_("lines imported before"), default=0)
    debits = models.PositiveIntegerField(_("debits (ignored)"), default=0)
    confirmed = models.PositiveIntegerField(_("matched and confirmed"), default=0)
    waiting = models.PositiveIntegerField(_("matched, waiting for your click"), default=0)
    suggestions = models.PositiveIntegerField(_("suggestions"), default=0)
    unmatched = models.PositiveIntegerField(_("unmatched"), default=0)
    proofs_flagged = models.PositiveIntegerField(_("proofs flagged"), default=0)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")

    def __str__(self):
        return f"{self.bank_account} {self.file_name}"


class BankStatementLine(models.Model):
    """One credit of a bank statement, kept once however often a file covering it is imported."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Matched and confirmed")
        EXACT = "exact", _("Matches one order: confirm it")
        SUGGESTED = "suggested", _("Suggestion: check and confirm")
        UNMATCHED = "unmatched", _("No order matches")

    bank_account = models.ForeignKey(
        BankAccount, on_delete=models.PROTECT, related_name="statement_lines", verbose_name=_("bank account")
    )
    statement_import = models.ForeignKey(
        BankStatementImport, on_delete=models.PROTECT, related_name="lines", verbose_name=_("imported with")
    )
    booked_on = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=500)
    amount_idr = models.PositiveBigIntegerField(_("amount (Rp)"))
    # sha256 of the account, the date, the amount, the description and which of that day's equal lines it is.
    fingerprint = models.CharField(max_length=64, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    # The order it was matched to (CONFIRMED, EXACT), and the orders it may be (SUGGESTED), for the seller.
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("order")
    )
    suggested_order_ids = models.JSONField(default=list, blank=True)
    note = models.CharField(_("why"), max_length=300, blank=True)
    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statement_line",
        verbose_name=_("payment"),
    )

    class Meta:
        ordering = ["-booked_on", "-pk"]
        verbose_name = _("bank statement line")
        verbose_name_plural = _("bank statement lines")
        constraints = [
            models.UniqueConstraint(fields=["bank_account", "fingerprint"], name="statement_line_once_per_account"),
            models.CheckConstraint(condition=Q(amount_idr__gt=0), name="statement_line_amount_positive"),
        ]
        indexes = [models.Index(fields=["amount_idr", "booked_on"], name="statement_line_amount_day")]

    def __str__(self):
        return f"{self.booked_on} {self.amount_idr}"


class BankStatementMapping(models.Model):
    """Which column of a bank's file is which, saved per bank account for files of no preset."""

    bank_account = models.OneToOneField(
        BankAccount, on_delete=models.CASCADE, related_name="statement_mapping", verbose_name=_("bank account")
    )
    columns = models.JSONField(default=dict)
    saved_at = models.DateTimeField(_("saved at"))

    class Meta:
        verbose_name = _("bank statement column mapping")
        verbose_name_plural = _("bank statement column mappings")

    def __str__(self):
        return str(self.bank_account)
