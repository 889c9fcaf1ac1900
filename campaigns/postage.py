"""Postage (ongkir) for an order: by the campaign's rule, the buyer's province and the weight."""

import math
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from .exceptions import CampaignError
from .models import Campaign, PostageRate
from .provinces import PROVINCES

Mode = Campaign.PostageMode


class NoPostageToProvince(CampaignError):
    """The seller has no rate for the buyer's province in this PO."""


@dataclass(frozen=True)
class PostageQuote:
    amount_idr: int
    with_first_payment: bool  # False: paid with the balance, the amount an estimate until the seller weighs
    billable_kg: int = 0

    @property
    def is_estimate(self) -> bool:
        return not self.with_first_payment and self.amount_idr > 0


def billable_kg(weight_grams: int) -> int:
    """Couriers charge whole kilograms, at least one."""
    return max(1, math.ceil(weight_grams / 1000))


def _amount(campaign: Campaign, rate: PostageRate | None, weight_grams: int) -> int | None:
    if campaign.postage_mode in (Mode.FREE, Mode.PICKUP):
        return 0
    if rate is None:
        return None
    if campaign.postage_mode == Mode.FLAT_BY_PROVINCE:
        return rate.flat_idr
    return None if rate.per_kg_idr is None else rate.per_kg_idr * billable_kg(weight_grams)


def postage_quote(*, campaign: Campaign, province: str, weight_grams: int) -> PostageQuote:
    """The postage of one order, or NoPostageToProvince with a message for the buyer."""
    rate = None
    if campaign.postage_mode in (Mode.FLAT_BY_PROVINCE, Mode.PER_KG_BY_PROVINCE):
        if province not in PROVINCES:
            raise NoPostageToProvince(_("Choose your province from the list."))
        rate = PostageRate.objects.filter(campaign=campaign, province=province).first()
    amount = _amount(campaign, rate, weight_grams)
    if amount is None:
        raise NoPostageToProvince(
            _("This PO does not ship to %(province)s; ask the seller on WhatsApp.") % {"province": province}
        )
    return PostageQuote(
        amount_idr=amount,
        with_first_payment=campaign.postage_timing == Campaign.PostageTiming.WITH_FIRST_PAYMENT,
        billable_kg=billable_kg(weight_grams) if campaign.postage_mode == Mode.PER_KG_BY_PROVINCE else 0,
    )


def postage_table(*, campaign: Campaign, weight_grams: int) -> dict[str, int | None]:
    """Postage of this order to every province (None: not shipped there), in one query, for the checkout."""
    if campaign.postage_mode in (Mode.FREE, Mode.PICKUP):
        return dict.fromkeys(PROVINCES, 0)
    rates = {rate.province: rate for rate in PostageRate.objects.filter(campaign=campaign)}
    return {province: _amount(campaign, rates.get(province), weight_grams) for province in PROVINCES}


@transaction.atomic
def postage_rates_set(*, campaign: Campaign, rates: dict[str, tuple[int | None, int | None]]) -> int:
    """Replace the campaign's rate table: {province: (flat, per kg)}; a province with neither is not shipped to."""
    unknown = set(rates) - set(PROVINCES)
    if unknown:
        raise CampaignError(_("Unknown province: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    PostageRate.objects.filter(campaign=campaign).delete()
    PostageRate.objects.bulk_create(
        [
            PostageRate(campaign=campaign, province=province, flat_idr=flat, per_kg_idr=per_kg)
            for province, (flat, per_kg) in rates.items()
            if flat is not None or per_kg is not None
        ]
    )
    return PostageRate.objects.filter(campaign=campaign).count()
