"""Bulk shipping from a spreadsheet (order number, courier, resi) with django-import-export:
its preview shows every row's error, and the confirmed import ships all rows in one
transaction, or none."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export import fields, resources

from orders.models import Order

from .services import ShipmentRow, order_ship, shipments_check, shipments_lock

# Headers a seller may use, to the resource's column names.
HEADER_ALIASES = {
    "order": "order",
    "order number": "order",
    "nomor pesanan": "order",
    "no pesanan": "order",
    "pesanan": "order",
    "courier": "courier",
    "kurir": "courier",
    "ekspedisi": "courier",
    "resi": "resi",
    "no resi": "resi",
    "nomor resi": "resi",
    "tracking number": "resi",
}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a resi typed as a number in a spreadsheet
    return str(value).strip()


class ShipmentResource(resources.ModelResource):
    order = fields.Field(attribute="number", column_name="order")
    courier = fields.Field(attribute="courier", column_name="courier")
    resi = fields.Field(attribute="tracking_number", column_name="resi")

    class Meta:
        model = Order
        name = _("Shipments: order, courier, resi")
        import_id_fields = ["order"]
        fields = ["order", "courier", "resi"]
        use_transactions = True
        skip_unchanged = False
        clean_model_instances = False

    def before_import(self, dataset, **kwargs):
        dataset.headers = [HEADER_ALIASES.get(" ".join(_text(h).lower().split()), _text(h)) for h in dataset.headers]
        missing = {"order", "courier", "resi"} - set(dataset.headers)
        if missing:
            raise ValidationError(
                _("The file needs the columns order, courier and resi; missing: %(missing)s.")
                % {"missing": ", ".join(sorted(missing))}
            )
        rows = [
            ShipmentRow(
                line=number,
                order_number=_text(row.get("order")),
                courier=_text(row.get("courier")),
                tracking_number=_text(row.get("resi")),
            )
            for number, row in enumerate(dataset.dict, start=1)
        ]
        if not kwargs.get("dry_run"):
            # Inside the import's transaction: every order of the file and its campaign, locked at once.
            shipments_lock([row.order_number for row in rows])
        self._checks = {check.row.line: check for check in shipments_check(rows)}
        super().before_import(dataset, **kwargs)

    def get_instance(self, instance_loader, row):
        number = _text(row.get("order")).upper()
        return Order.objects.filter(number=number).first() if number else None

    def init_instance(self, row=None):
        # A shipment file never creates orders.
        raise ValidationError({"order": _("No order %(number)s.") % {"number": _text((row or {}).get("order")) or "-"}})

    def import_instance(self, instance, row, **kwargs):
        check = self._checks.get(kwargs.get("row_number"))
        if check is not None and check.error:
            raise ValidationError({"resi": check.error})
        instance.courier = check.courier_code if check else instance.courier
        instance.tracking_number = check.resi if check else instance.tracking_number

    def save_instance(self, instance, is_create, row, **kwargs):
        if kwargs.get("dry_run"):
            return
        check = self._checks[kwargs["row_number"]]
        order_ship(
            order=instance,
            courier=check.courier_code,
            tracking_number=check.resi,
            actor=kwargs.get("user"),
            now=timezone.now(),
        )
