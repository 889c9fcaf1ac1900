"""Shipping a whole file of orders (order number, courier, resi) from the Order admin's "Import":
the file's checks (files), the import-export resource that ships its rows (resource), and the admin's
screens (admin_mixin)."""

from .admin_mixin import ShipmentImportAdminMixin, ShipmentImportForm
from .files import PendingShipmentFile, ShipmentCSV, ShipmentFileGone, ShipmentFileRefused, ShipmentXLSX
from .resource import ShipmentResource

__all__ = [
    "PendingShipmentFile",
    "ShipmentCSV",
    "ShipmentFileGone",
    "ShipmentFileRefused",
    "ShipmentImportAdminMixin",
    "ShipmentImportForm",
    "ShipmentResource",
    "ShipmentXLSX",
]
