"""The demo shop, made through the shop's own services at the times each step happened: today's campaigns
with a few orders, and POs further along their life (completed, failed, being shipped, in production).

Safe to run again: what exists is left as it is, and nothing is made twice.

today.py    the shop's profile and bank accounts, orders on today's open and just-closed POs
stories.py  the POs of the past weeks, each built only when its campaign does not exist yet
window.py   a PO window in the past: publishing, orders day by day, the close as the jobs make it
bank.py     buyers' transfers, as lines of the shop's bank statement imported each evening
buyers.py   made-up buyers across Indonesia, and the postage to their provinces
"""

import datetime

from django.db import transaction

from campaigns.demo import demo_catalog_and_campaigns
from campaigns.models import Campaign
from orders.models import Message
from orders.outbox import message_whatsapp_mark_sent

from .stories import SLUGS as STORY_SLUGS
from .stories import stories_build
from .today import bank_accounts_ensure, batik_orders_today, flannel_interest, sambal_orders, shop_profile_ensure

# Messages older than this were sent on WhatsApp by the seller (to buyers without e-mail); newer ones wait.
WHATSAPP_SENT_BEFORE = datetime.timedelta(days=2)
WHATSAPP_SENT_AFTER = datetime.timedelta(minutes=25)


@transaction.atomic
def demo_shop(*, now: datetime.datetime, seller=None) -> list[Campaign]:
    """The demo shop's campaigns, today's first; `seller` is who takes the seller's steps."""
    campaigns = demo_catalog_and_campaigns(now=now)
    shop_profile_ensure()
    bank_accounts_ensure()
    by_slug = {campaign.slug: campaign for campaign in campaigns}
    batik_orders_today(batik=by_slug["po-batik-tulis-parang-batch-3"], now=now)
    flannel_interest(flannel=by_slug["po-kemeja-flanel-natal"], now=now)
    built = stories_build(now=now, seller=seller)
    sambal = by_slug["po-sambal-roa-batch-oktober"]
    if sambal_orders(sambal=sambal, seller=seller):
        built.append(sambal)
    _whatsapp_history(campaigns=built, seller=seller, now=now)
    return [*campaigns, *Campaign.objects.filter(slug__in=STORY_SLUGS).order_by("opens_at")]


def _whatsapp_history(*, campaigns: list[Campaign], seller, now: datetime.datetime) -> None:
    """The seller sent the messages of the POs just made to buyers without e-mail on WhatsApp, soon after
    each, all but the last days' (only when the POs are made, so that running again marks nothing)."""
    for message in Message.objects.filter(
        order__campaign__in=campaigns,
        status=Message.Status.NO_EMAIL,
        whatsapp_sent_at__isnull=True,
        created_at__lt=now - WHATSAPP_SENT_BEFORE,
    ).exclude(to_phone=""):
        message_whatsapp_mark_sent(message=message, actor=seller, now=message.created_at + WHATSAPP_SENT_AFTER)
