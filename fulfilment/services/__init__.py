"""A PO after its window, one module per step; the names every caller uses are here."""

from .closing import campaign_cancel, campaign_close_due
from .completion import campaign_complete, campaigns_complete_due, order_receipt_confirm, orders_complete_due
from .delays import campaign_update_announce, order_delay_respond
from .privacy import order_personal_data_delete, personal_data_purge
from .production import (
    campaign_production_blocker,
    campaign_production_due,
    campaign_production_start,
    campaign_tally_recompute,
    campaign_unpaid_orders_cancel,
    production_holdups,
    production_tally_take,
)
from .shipping import (
    ShipmentCheck,
    ShipmentRow,
    campaign_shipping_start,
    order_postage_set,
    order_ship,
    shipments_check,
    shipments_lock,
)

__all__ = [
    "ShipmentCheck",
    "ShipmentRow",
    "campaign_cancel",
    "campaign_close_due",
    "campaign_complete",
    "campaign_production_blocker",
    "campaign_production_due",
    "campaign_production_start",
    "campaign_unpaid_orders_cancel",
    "production_holdups",
    "campaign_shipping_start",
    "campaign_tally_recompute",
    "campaign_update_announce",
    "campaigns_complete_due",
    "order_delay_respond",
    "order_personal_data_delete",
    "order_postage_set",
    "order_receipt_confirm",
    "order_ship",
    "orders_complete_due",
    "personal_data_purge",
    "production_tally_take",
    "shipments_check",
    "shipments_lock",
]
