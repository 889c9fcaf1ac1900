"""The production tally: what paid orders of a closed PO ask the workshop to make.

Counted by the database (one aggregate per item), stored as a snapshot, and
read back as a matrix per product (size x colour) for the production list.
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Prefetch, Q, Sum

from campaigns.models import Campaign, CampaignItem
from catalog.models import OptionValue

from .models import Order, OrderLine, ProductionTally, ProductionTallyLine, ProductionTallyNote

Status = Order.Status
# Orders whose units are made: a DP or the whole amount is in.
PRODUCED_STATUSES = (Status.DP_PAID, Status.PAID, Status.SHIPPED, Status.COMPLETED)


def production_tally_take(*, campaign: Campaign, now: datetime.datetime) -> ProductionTally:
    """Count the paid units per item and store them, replacing any earlier tally.

    Call with the campaign locked (or let this lock it): the replacement is one
    transaction, so the same orders always give the same numbers, once.
    """
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign.pk)
        ProductionTally.objects.filter(campaign=campaign).delete()
        paid_lines = OrderLine.objects.filter(order__campaign=campaign, order__status__in=PRODUCED_STATUSES)
        counts = {
            row["campaign_item_id"]: row
            for row in paid_lines.values("campaign_item_id").annotate(
                units=Sum("quantity"), orders=Count("order_id", distinct=True)
            )
        }
        totals = paid_lines.aggregate(units=Sum("quantity", default=0), orders=Count("order_id", distinct=True))
        tally = ProductionTally.objects.create(
            campaign=campaign, taken_at=now, orders=totals["orders"], units=totals["units"]
        )
        values = OptionValue.objects.select_related("option_type").order_by("option_type__position", "position", "pk")
        items = (
            CampaignItem.objects.filter(pk__in=counts)
            .select_related("variant__product")
            .prefetch_related(Prefetch("variant__option_values", queryset=values))
            .order_by("variant__product__name", "variant__product_id", "position", "pk")
        )
        lines = ProductionTallyLine.objects.bulk_create(
            [
                ProductionTallyLine(
                    tally=tally,
                    campaign_item=item,
                    product_id_at_tally=item.variant.product_id,
                    product_name=item.variant.product.name,
                    variant_label=item.variant.label,
                    sku=item.variant.sku,
                    options=[
                        [value.option_type.name, value.value, value.position]
                        for value in item.variant.option_values.all()
                    ],
                    position=position,
                    orders=counts[item.pk]["orders"],
                    units=counts[item.pk]["units"],
                )
                for position, item in enumerate(items)
            ]
        )
        line_by_item = {line.campaign_item_id: line for line in lines}
        ProductionTallyNote.objects.bulk_create(
            [
                ProductionTallyNote(
                    line=line_by_item[row["campaign_item_id"]],
                    order_number=row["order__number"],
                    quantity=row["quantity"],
                    note=row["note"],
                )
                for row in paid_lines.exclude(note="")
                .values("campaign_item_id", "order__number", "quantity", "note")
                .order_by("order_id", "pk")
                .iterator(chunk_size=2000)
            ],
            batch_size=2000,
        )
    return tally


@dataclass
class ProductMatrix:
    """One product of a tally: rows x columns of units, with totals, and the notes."""

    product_name: str
    row_option: str  # "Ukuran", or "" for a product without options
    column_option: str  # "Warna", or "" when the product has fewer than two options
    rows: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    cells: dict[tuple[str, str], int] = field(default_factory=dict)
    lines: list[ProductionTallyLine] = field(default_factory=list)

    def cell(self, row: str, column: str) -> int:
        return self.cells.get((row, column), 0)

    def row_total(self, row: str) -> int:
        return sum(self.cell(row, column) for column in self.columns)

    def column_total(self, column: str) -> int:
        return sum(self.cell(row, column) for row in self.rows)

    @property
    def total(self) -> int:
        return sum(self.cells.values())

    @property
    def table(self) -> list[tuple[str, list[int], int]]:
        """(row label, cells in column order, row total) for templates."""
        return [(row, [self.cell(row, column) for column in self.columns], self.row_total(row)) for row in self.rows]

    @property
    def column_totals(self) -> list[int]:
        return [self.column_total(column) for column in self.columns]


ONE_COLUMN = "units"


def tally_matrices(tally: ProductionTally) -> list[ProductMatrix]:
    """The tally per product: the last option as columns, the others as rows (two queries)."""
    matrices: dict[int, ProductMatrix] = {}
    row_keys: dict[int, dict[str, tuple]] = {}
    column_keys: dict[int, dict[str, tuple]] = {}
    lines = tally.lines.prefetch_related(Prefetch("notes", queryset=ProductionTallyNote.objects.order_by("pk")))
    for line in lines.order_by("position", "pk"):
        options = line.options
        matrix = matrices.get(line.product_id_at_tally)
        if matrix is None:
            matrix = ProductMatrix(
                product_name=line.product_name,
                row_option=" / ".join(name for name, _value, _position in options[:-1]) if len(options) > 1 else "",
                column_option=options[-1][0] if options else "",
            )
            matrices[line.product_id_at_tally] = matrix
            row_keys[line.product_id_at_tally], column_keys[line.product_id_at_tally] = {}, {}
        if options:
            column = options[-1][1]
            column_keys[line.product_id_at_tally].setdefault(column, (options[-1][2], column))
            row_options = options[:-1]
        else:
            column = ONE_COLUMN
            column_keys[line.product_id_at_tally].setdefault(column, (0, column))
            row_options = []
        row = " / ".join(value for _name, value, _position in row_options) or line.product_name
        row_keys[line.product_id_at_tally].setdefault(row, tuple(position for _n, _v, position in row_options))
        matrix.cells[(row, column)] = matrix.cells.get((row, column), 0) + line.units
        matrix.lines.append(line)
    for product_id, matrix in matrices.items():
        matrix.rows = sorted(row_keys[product_id], key=lambda row: (row_keys[product_id][row], row))
        matrix.columns = sorted(column_keys[product_id], key=lambda column: column_keys[product_id][column])
    return list(matrices.values())


def campaign_waiting_first_payments(*, campaign: Campaign) -> dict[str, int]:
    """Unpaid orders of a closed PO: how many may still pay, and how many wait for the seller's check."""
    return Order.objects.filter(campaign=campaign, status=Status.PENDING_PAYMENT).aggregate(
        unpaid=Count("pk"), awaiting=Count("pk", filter=Q(payment_awaiting_since__isnull=False))
    )
