"""Bulk shipping from a spreadsheet (order number, courier, resi) with django-import-export: its preview
shows every row's error, and the confirmed import ships all rows in one transaction, or none.

The file's orders are read in one query before its rows (shipments_check), then found by number in a
dict: a file of thousands of rows costs a handful of queries to preview.
"""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources

from orders.models import Order

from ..services import ShipmentRow, order_ship, shipments_check, shipments_lock
from .files import COLUMNS, cell_text, shipment_columns

# The code of a row refused because its order has shipped already: a file imported a second time.
ALREADY_SHIPPED = "already_shipped"


class ShipmentResource(resources.ModelResource):
    order = fields.Field(attribute="number", column_name="order")
    courier = fields.Field(attribute="courier", column_name="courier")
    resi = fields.Field(attribute="tracking_number", column_name="resi")

    class Meta:
        model = Order
        name = gettext_lazy("Shipments: order, courier, resi")
        import_id_fields = ["order"]
        fields = ["order", "courier", "resi"]
        use_transactions = True
        skip_unchanged = False
        clean_model_instances = False
        # The preview lists each row's order, buyer, courier and resi from the instance, not a diff.
        skip_diff = True
        store_instance = True
        # No savepoint per row: the file is one transaction (all of it ships, or none), and
        # save_instance ships each row itself (nothing is bulk-saved).
        use_bulk = True

    def before_import(self, dataset, **kwargs):
        self._checks, self._orders = {}, {}  # a file refused here ships nothing, row by row
        columns = shipment_columns(dataset.headers)
        dataset.headers = [
            next((name for name in COLUMNS if columns[name] == index), header)
            for index, header in enumerate(dataset.headers)
        ]
        rows = [
            ShipmentRow(
                line=number,
                order_number=cell_text(row.get("order")),
                courier=cell_text(row.get("courier")),
                tracking_number=cell_text(row.get("resi")),
            )
            for number, row in enumerate(dataset.dict, start=1)
        ]
        if not kwargs.get("dry_run"):
            # Inside the import's transaction: every order of the file and its campaign, locked at once.
            shipments_lock([row.order_number for row in rows])
        checks = shipments_check(rows)
        self._checks = {check.row.line: check for check in checks}
        self._orders = {check.order.number: check.order for check in checks if check.order is not None}
        self._now = timezone.now()
        super().before_import(dataset, **kwargs)

    def get_instance(self, instance_loader, row):
        return self._orders.get(cell_text(row.get("order")).upper())

    def init_instance(self, row=None):
        # A shipment file never creates orders.
        number = cell_text((row or {}).get("order")) or "-"
        raise ValidationError({"order": _("No order %(number)s.") % {"number": number}})

    def import_instance(self, instance, row, **kwargs):
        check = self._checks[kwargs["row_number"]]
        if check.error:
            shipped = check.order is not None and check.order.shipped_at is not None
            raise ValidationError({"resi": ValidationError(check.error, code=ALREADY_SHIPPED if shipped else None)})
        instance.courier = check.courier_code
        instance.tracking_number = check.resi

    def save_instance(self, instance, is_create, row, **kwargs):
        if kwargs.get("dry_run"):
            return
        check = self._checks[kwargs["row_number"]]
        order_ship(
            order=instance,
            courier=check.courier_code,
            tracking_number=check.resi,
            actor=kwargs.get("user"),
            now=self._now,
        )
