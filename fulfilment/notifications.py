"""Messages about a PO after checkout (news and delays, postage, shipping), registered with the outbox."""

from django.utils.translation import gettext_lazy as _

from campaigns.models import CampaignUpdate
from orders.models import Message
from orders.outbox import message_renderer
from payments.notifications import order_money_message_render


def _render(message: Message, template: str, **context) -> tuple[str, str]:
    return order_money_message_render(message, f"fulfilment/email/{template}", **context)


def _update_render(template: str):
    def render(message: Message) -> tuple[str, str]:
        return _render(message, template, update=CampaignUpdate.objects.get(pk=message.params["update_id"]))

    return render


message_renderer("delay_announced", _("Delay: keep or cancel"))(_update_render("delay_announced"))
message_renderer("campaign_update", _("News about the PO"))(_update_render("campaign_update"))


@message_renderer("order_shipped", _("Order shipped"))
def _order_shipped(message: Message) -> tuple[str, str]:
    return _render(message, "order_shipped")


@message_renderer("postage_set", _("Postage set after weighing"))
def _postage_set(message: Message) -> tuple[str, str]:
    return _render(message, "postage_set", postage_idr=message.params["postage_idr"])
