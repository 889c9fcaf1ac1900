"""What a PO leaves after its window: the production tally, and the buyers' answers to a delay.

The tables kept the names they had when these models lived in orders (db_table).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, CampaignItem, CampaignUpdate
from orders.models import Order


class ProductionTally(models.Model):
    """What the workshop must make for a closed PO: a snapshot of its paid orders.

    One per campaign; recomputing replaces it in one transaction, so a job run
    twice (or killed half-way) never leaves two.
    """

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="production_tally", verbose_name=_("campaign")
    )
    taken_at = models.DateTimeField(_("taken at"))
    orders = models.PositiveIntegerField(_("paid orders"))
    units = models.PositiveIntegerField(_("units to produce"))

    class Meta:
        db_table = "orders_productiontally"
        verbose_name = _("production tally")
        verbose_name_plural = _("production tallies")

    def __str__(self):
        return f"{self.campaign} ({self.units})"


class ProductionTallyLine(models.Model):
    """Units of one variant to produce, with its options copied as they were at the tally."""

    tally = models.ForeignKey(ProductionTally, on_delete=models.CASCADE, related_name="lines")
    campaign_item = models.ForeignKey(CampaignItem, on_delete=models.PROTECT, related_name="+")
    product_id_at_tally = models.PositiveBigIntegerField()
    product_name = models.CharField(_("product"), max_length=150)
    variant_label = models.CharField(_("variant"), max_length=200, blank=True)
    sku = models.CharField(_("SKU"), max_length=80)
    # [[option name, value], ...] in the product's option order.
    options = models.JSONField(default=list)
    position = models.PositiveIntegerField(default=0)
    orders = models.PositiveIntegerField(_("orders"))
    units = models.PositiveIntegerField(_("units"))

    class Meta:
        db_table = "orders_productiontallyline"
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tally", "campaign_item"], name="tally_line_once_per_item"),
            models.CheckConstraint(condition=Q(units__gt=0), name="tally_line_units_positive"),
        ]

    def __str__(self):
        return f"{self.units} x {self.sku}"


class ProductionTallyNote(models.Model):
    """A buyer's custom note on a line (a name to embroider), listed under its variant."""

    line = models.ForeignKey(ProductionTallyLine, on_delete=models.CASCADE, related_name="notes")
    order_number = models.CharField(max_length=20)
    quantity = models.PositiveIntegerField()
    note = models.CharField(max_length=200)

    class Meta:
        db_table = "orders_productiontallynote"
        ordering = ["pk"]

    def __str__(self):
        return f"{self.order_number}: {self.note}"


class DelayResponse(models.Model):
    """A buyer's answer to a delay: keep the order, or cancel it with everything paid back."""

    class Choice(models.TextChoices):
        KEEP = "keep", _("Keep the order")
        CANCEL = "cancel", _("Cancel with a full refund")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="delay_responses", verbose_name=_("order"))
    update = models.ForeignKey(
        CampaignUpdate, on_delete=models.CASCADE, related_name="delay_responses", verbose_name=_("delay")
    )
    choice = models.CharField(_("choice"), max_length=10, choices=Choice.choices)
    answered_at = models.DateTimeField(_("answered at"))

    class Meta:
        db_table = "orders_delayresponse"
        ordering = ["answered_at", "pk"]
        verbose_name = _("answer to a delay")
        verbose_name_plural = _("answers to delays")
        constraints = [models.UniqueConstraint(fields=["order", "update"], name="delay_response_once_per_order")]

    def __str__(self):
        return f"{self.order} {self.choice}"
