import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Variant
from catalog.money import percent_of

from .provinces import PROVINCE_CHOICES


class Campaign(models.Model):
    """A time-boxed PO window selling some variants."""

    class Stage(models.TextChoices):
        """What the seller (or the closing job) has decided; time does the rest."""

        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        TALLYING = "tallying", _("Closed, tallying")
        IN_PRODUCTION = "in_production", _("In production")
        SHIPPING = "shipping", _("Shipping")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    class Status(models.TextChoices):
        """What buyers and the seller see: the stage read against the clock."""

        DRAFT = "draft", _("Draft")
        COMING_SOON = "coming_soon", _("Coming soon")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        TALLYING = "tallying", _("Closed, tallying")
        IN_PRODUCTION = "in_production", _("In production")
        SHIPPING = "shipping", _("Shipping")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    class PaymentTerms(models.TextChoices):
        FULL_ONLY = "full_only", _("Full payment only")
        DP_ALLOWED = "dp_allowed", _("Down payment allowed")
        DP_REQUIRED = "dp_required", _("Down payment required")

    class DownPaymentKind(models.TextChoices):
        PERCENT = "percent", _("Percentage of the order")
        FIXED = "fixed", _("Fixed amount per unit")

    class PostageMode(models.TextChoices):
        FLAT_BY_PROVINCE = "flat", _("Flat rate per province")
        PER_KG_BY_PROVINCE = "per_kg", _("Rate per kg by province")
        FREE = "free", _("Free postage")
        PICKUP = "pickup", _("Pickup only")

    class PostageTiming(models.TextChoices):
        WITH_FIRST_PAYMENT = "first", _("With the first payment")
        WITH_BALANCE = "balance", _("With the balance, set after weighing")

    class GoalMissedPolicy(models.TextChoices):
        REFUND = "refund", _("Cancel the PO and refund everyone")
        PROCEED = "proceed", _("Go ahead anyway")

    title = models.CharField(_("title"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=170, unique=True)
    description = models.TextField(_("description"), blank=True)
    image = models.ImageField(
        _("share image"),
        upload_to="campaigns/%Y/%m/",
        blank=True,
        help_text=_("Shown when the link is shared. Without it, the first product photo is used."),
    )
    image_rendition_widths = models.JSONField(default=list, blank=True, editable=False)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.DRAFT)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    estimated_ship_date = models.DateField(_("estimated ship date"))
    quota_total = models.PositiveIntegerField(
        _("campaign quota (units)"), null=True, blank=True, help_text=_("Most units across all items. Empty: no limit.")
    )
    # Units held by live orders across the campaign; moved only with F() under a lock.
    units_reserved = models.PositiveIntegerField(_("units reserved"), default=0, editable=False)
    per_buyer_limit = models.PositiveIntegerField(
        _("limit per buyer (units)"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    minimum_goal_units = models.PositiveIntegerField(
        _("minimum goal (units)"),
        null=True,
        blank=True,
        help_text=_("Paid units needed at closing to go into production. Empty: no minimum."),
    )
    goal_missed_policy = models.CharField(
        _("if the goal is missed"), max_length=10, choices=GoalMissedPolicy.choices, default=GoalMissedPolicy.REFUND
    )
    payment_terms = models.CharField(
        _("payment terms"), max_length=20, choices=PaymentTerms.choices, default=PaymentTerms.DP_ALLOWED
    )
    dp_kind = models.CharField(
        _("down payment as"), max_length=10, choices=DownPaymentKind.choices, default=DownPaymentKind.PERCENT
    )
    dp_percent = models.PositiveSmallIntegerField(_("down payment (%)"), null=True, blank=True, default=50)
    dp_fixed_per_unit_idr = models.PositiveBigIntegerField(_("down payment per unit (Rp)"), null=True, blank=True)
    balance_due_date = models.DateField(
        _("balance due date"), null=True, blank=True, help_text=_("The last day to pay the balance (pelunasan).")
    )
    unpaid_expiry_hours = models.PositiveSmallIntegerField(
        _("hours to pay a new order"), default=24, help_text=_("An order not paid within this time expires.")
    )
    quick_pay_minutes = models.PositiveIntegerField(
        _("minutes to pay on a small-quota PO"),
        null=True,
        blank=True,
        help_text=_(
            "On a PO that can sell only a few units (fewer than 50 unless the shop set another limit), an order "
            "must be paid within this many minutes, never later than the hours to pay a new order, so that unpaid "
            "orders cannot hold its units. Empty: the shop's default, 120 minutes unless set otherwise."
        ),
    )
    postage_mode = models.CharField(_("postage"), max_length=10, choices=PostageMode.choices, default=PostageMode.FREE)
    postage_timing = models.CharField(
        _("postage is paid"),
        max_length=10,
        choices=PostageTiming.choices,
        default=PostageTiming.WITH_FIRST_PAYMENT,
        help_text=_("With the balance: checkout shows the rate as an estimate and you set the postage after weighing."),
    )
    auto_complete_days = models.PositiveSmallIntegerField(
        _("days after shipping to complete an order"),
        default=7,
        help_text=_("An order the buyer has not confirmed as received is completed this many days after shipping."),
    )
    pickup_place = models.CharField(
        _("pickup place"), max_length=200, blank=True, help_text=_("Where and when buyers collect, for pickup only.")
    )
    close_processed_at = models.DateTimeField(_("closing processed at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="campaign_closes_after_opening"),
            models.CheckConstraint(
                condition=Q(dp_percent__isnull=True) | Q(dp_percent__gte=1, dp_percent__lte=99),
                name="campaign_dp_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(quota_total__isnull=True) | Q(quota_total__gt=0), name="campaign_quota_positive"
            ),
            models.CheckConstraint(
                condition=Q(quick_pay_minutes__isnull=True) | Q(quick_pay_minutes__gt=0),
                name="campaign_quick_pay_positive",
            ),
            models.CheckConstraint(
                condition=Q(per_buyer_limit__isnull=True) | Q(per_buyer_limit__gt=0),
                name="campaign_buyer_limit_positive",
            ),
            models.CheckConstraint(
                condition=Q(minimum_goal_units__isnull=True) | Q(minimum_goal_units__gt=0),
                name="campaign_goal_positive",
            ),
            models.CheckConstraint(
                condition=Q(quota_total__isnull=True) | Q(units_reserved__lte=F("quota_total")),
                name="campaign_reserved_within_quota",
            ),
            models.CheckConstraint(
                condition=Q(payment_terms="full_only")
                | (
                    Q(balance_due_date__isnull=False)
                    & (Q(dp_kind="percent", dp_percent__isnull=False) | Q(dp_kind="fixed", dp_fixed_per_unit_idr__gt=0))
                ),
                name="campaign_dp_terms_complete",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("campaigns:detail", args=[self.slug])

    def status_at(self, now: datetime.datetime) -> "Campaign.Status":
        """The status at `now`. Reads only; nothing is written."""
        if self.stage == self.Stage.DRAFT:
            return self.Status.DRAFT
        if self.stage != self.Stage.PUBLISHED:
            return self.Status(self.stage)
        if now < self.opens_at:
            return self.Status.COMING_SOON
        if now < self.closes_at:
            return self.Status.OPEN
        return self.Status.CLOSED

    @property
    def status(self) -> "Campaign.Status":
        return self.status_at(timezone.now())

    @property
    def allows_down_payment(self) -> bool:
        return self.payment_terms != self.PaymentTerms.FULL_ONLY

    @property
    def units_left(self) -> int | None:
        if self.quota_total is None:
            return None
        return max(self.quota_total - self.units_reserved, 0)

    def units_for_sale(self, known_items: Iterable["CampaignItem"] = ()) -> int | None:
        """The most units this PO can sell: its own quota, or, without one, its items' quotas added up when
        every item on sale has one; None when nothing limits it.

        `known_items` are some of its items just read (a checkout's lines): one without a quota answers
        without reading the others.
        """
        if self.quota_total is not None:
            return self.quota_total
        if any(item.quota is None for item in known_items):
            return None
        quotas = self.items.on_sale().aggregate(units=Sum("quota"), unlimited=Count("pk", filter=Q(quota__isnull=True)))
        return None if quotas["unlimited"] or quotas["units"] is None else quotas["units"]

    def quick_pay_window(self, known_items: Iterable["CampaignItem"] = ()) -> datetime.timedelta | None:
        """How soon an order must be paid on a PO with a small quota (fewer units for sale than
        SMALL_QUOTA_UNITS): its own quick_pay_minutes, or SMALL_QUOTA_PAY_MINUTES; None on any other PO.

        A few unpaid orders would otherwise hold a limited PO's every unit until their deadlines.
        """
        minutes = self.quick_pay_minutes or settings.SMALL_QUOTA_PAY_MINUTES
        if minutes <= 0 or settings.SMALL_QUOTA_UNITS <= 0:
            return None  # no PO counts as small: nothing to read
        units = self.units_for_sale(known_items)
        if units is None or units >= settings.SMALL_QUOTA_UNITS:
            return None
        return datetime.timedelta(minutes=minutes)

    def time_to_pay(self, known_items: Iterable["CampaignItem"] = ()) -> datetime.timedelta:
        """How long a new order has to be paid before it expires: the PO's hours, or less on a small-quota PO
        (quick_pay_window). The checkout sets the order's deadline from it and shows it before ordering."""
        hours = datetime.timedelta(hours=self.unpaid_expiry_hours)
        quick = self.quick_pay_window(known_items)
        return hours if quick is None else min(hours, quick)

    def minutes_to_pay(self) -> int:
        """time_to_pay in whole minutes, for the pages that state the rule."""
        return int(self.time_to_pay().total_seconds()) // 60

    def down_payment_for(self, *, total_idr: int, units: int) -> int:
        """The DP for an order of `units` units costing `total_idr`; never above the total."""
        if not self.allows_down_payment:
            return total_idr
        if self.dp_kind == self.DownPaymentKind.FIXED:
            return min(self.dp_fixed_per_unit_idr * units, total_idr)
        return percent_of(total_idr, self.dp_percent)

    def clean(self):
        errors = {}
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = _("The campaign must close after it opens.")
        closing_day = timezone.localdate(self.closes_at) if self.closes_at else None
        if closing_day and self.estimated_ship_date and self.estimated_ship_date <= closing_day:
            errors["estimated_ship_date"] = _("Goods ship after the PO closes: pick a date after the closing day.")
        if self.allows_down_payment:
            if self.dp_kind == self.DownPaymentKind.PERCENT and not self.dp_percent:
                errors["dp_percent"] = _("Give the down payment percentage (1 to 99).")
            if self.dp_kind == self.DownPaymentKind.FIXED and not self.dp_fixed_per_unit_idr:
                errors["dp_fixed_per_unit_idr"] = _("Give the down payment per unit in rupiah.")
            if not self.balance_due_date:
                errors["balance_due_date"] = _("With a down payment, buyers need a date to pay the balance by.")
            elif closing_day and self.balance_due_date < closing_day:
                errors["balance_due_date"] = _("The balance falls due on or after the closing day.")
            elif self.estimated_ship_date and self.balance_due_date > self.estimated_ship_date:
                errors["balance_due_date"] = _("The balance falls due before the goods ship.")
        if self.minimum_goal_units and self.quota_total and self.minimum_goal_units > self.quota_total:
            errors["minimum_goal_units"] = _("The minimum goal cannot be above the campaign quota.")
        if self.postage_mode == self.PostageMode.PICKUP and not self.pickup_place.strip():
            errors["pickup_place"] = _("Tell buyers where to collect their order.")
        if self.postage_timing == self.PostageTiming.WITH_BALANCE and not self.allows_down_payment:
            errors["postage_timing"] = _("Postage with the balance needs a PO that takes a DP.")
        if self.unpaid_expiry_hours == 0:
            errors["unpaid_expiry_hours"] = _("Give buyers at least one hour to pay.")
        elif self.quick_pay_minutes == 0:
            errors["quick_pay_minutes"] = _("Give buyers at least one minute to pay, or leave it empty.")
        elif (
            self.quick_pay_minutes
            and self.unpaid_expiry_hours
            and self.quick_pay_minutes > self.unpaid_expiry_hours * 60
        ):
            errors["quick_pay_minutes"] = _(
                "The time to pay on a small-quota PO is at most the hours to pay a new order."
            )
        if errors:
            raise ValidationError(errors)


class CampaignItemQuerySet(models.QuerySet):
    @staticmethod
    def on_sale_condition(path: str = "") -> Q:
        """What puts an item on sale (an active variant of an active product), for a query of the items, or,
        with `path` ("items__" from a campaign), of a model that reaches them."""
        return Q(**{f"{path}variant__is_active": True, f"{path}variant__product__is_active": True})

    def on_sale(self) -> "CampaignItemQuerySet":
        """The items buyers can order: the one definition of "on sale" (a variant or product the seller
        switched off is not sold)."""
        return self.filter(self.on_sale_condition())


class CampaignItem(models.Model):
    """A variant sold in a campaign, at its PO price, within its quota."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items", verbose_name=_("campaign"))
    variant = models.ForeignKey(
        Variant, on_delete=models.PROTECT, related_name="campaign_items", verbose_name=_("variant")
    )
    price_idr = models.PositiveBigIntegerField(_("PO price (Rp)"))
    quota = models.PositiveIntegerField(_("quota (units)"), null=True, blank=True, help_text=_("Empty: no limit."))
    # Units held by live orders; moved only with F() under a lock.
    units_reserved = models.PositiveIntegerField(_("units reserved"), default=0, editable=False)
    position = models.PositiveIntegerField(_("position"), default=0)

    objects = CampaignItemQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("campaign item")
        verbose_name_plural = _("campaign items")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "variant"], name="campaign_item_unique_variant"),
            models.CheckConstraint(
                condition=Q(quota__isnull=True) | Q(quota__gt=0), name="campaign_item_quota_positive"
            ),
            models.CheckConstraint(
                condition=Q(quota__isnull=True) | Q(units_reserved__lte=F("quota")),
                name="campaign_item_reserved_within_quota",
            ),
        ]

    def __str__(self):
        return str(self.variant)

    def units_left_in(self, campaign: Campaign) -> int | None:
        """Units still to be had: the lower of this item's and the campaign's."""
        limits = []
        if self.quota is not None:
            limits.append(max(self.quota - self.units_reserved, 0))
        if campaign.units_left is not None:
            limits.append(campaign.units_left)
        return min(limits) if limits else None

    @property
    def units_left(self) -> int | None:
        return self.units_left_in(self.campaign)


class CampaignUpdate(models.Model):
    """A note to buyers, most often a delay with a new ship date; kept as history."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="updates", verbose_name=_("campaign"))
    message = models.TextField(_("message"))
    new_estimated_ship_date = models.DateField(_("new estimated ship date"), null=True, blank=True)
    previous_estimated_ship_date = models.DateField(
        _("previous estimated ship date"), null=True, blank=True, editable=False
    )
    posted_at = models.DateTimeField(_("posted at"), default=timezone.now)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        verbose_name=_("posted by"),
    )

    class Meta:
        ordering = ["-posted_at", "-pk"]
        verbose_name = _("campaign update")
        verbose_name_plural = _("campaign updates")

    def __str__(self):
        return self.message[:60]


class PostageRate(models.Model):
    """What postage to one province costs in a campaign: flat per order, or per kg."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="postage_rates", verbose_name=_("campaign")
    )
    province = models.CharField(_("province"), max_length=60, choices=PROVINCE_CHOICES)
    flat_idr = models.PositiveBigIntegerField(_("flat rate (Rp)"), null=True, blank=True)
    per_kg_idr = models.PositiveBigIntegerField(_("rate per kg (Rp)"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("postage rate")
        verbose_name_plural = _("postage rates")
        constraints = [models.UniqueConstraint(fields=["campaign", "province"], name="postage_rate_once_per_province")]

    def __str__(self):
        return self.province
