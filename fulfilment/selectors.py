"""Reads about a PO after its window: paid units, the tally as a matrix per product, what still waits."""

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, Sum

from campaigns.models import Campaign, CampaignUpdate
from orders.models import Message, Order, OrderLine

from .models import DelayResponse, ProductionTally, ProductionTallyLine, ProductionTallyNote


def update_is_delay(update: CampaignUpdate) -> bool:
    return bool(
        update.new_estimated_ship_date
        and update.previous_estimated_ship_date
        and update.new_estimated_ship_date > update.previous_estimated_ship_date
    )


def order_latest_delay(order: Order, updates: list[CampaignUpdate]) -> CampaignUpdate | None:
    """The latest delay announced after the order was placed (one placed later accepted the new date)."""
    delays = [update for update in updates if update_is_delay(update)]
    if not delays:
        return None
    latest = max(delays, key=lambda update: (update.posted_at, update.pk))
    return latest if latest.posted_at >= order.created_at else None


def order_open_delay(order: Order, updates: list[CampaignUpdate]) -> CampaignUpdate | None:
    """The delay this buyer may answer: the latest, while the order is live and not shipped."""
    return order_latest_delay(order, updates) if order.status in Order.UNSHIPPED_STATUSES else None


def campaign_paid_units(campaign: Campaign) -> int:
    """Units of the orders with a DP or more in: what the minimum goal counts."""
    return (
        OrderLine.objects.filter(order__campaign=campaign, order__status__in=Order.PAID_STATUSES).aggregate(
            units=Sum("quantity")
        )["units"]
        or 0
    )


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
    return Order.objects.filter(campaign=campaign, status=Order.Status.PENDING_PAYMENT).aggregate(
        unpaid=Count("pk"), awaiting=Count("pk", filter=Q(payment_awaiting_since__isnull=False))
    )


@dataclass
class DelaySummary:
    update: CampaignUpdate
    buyers_told: int
    kept: int
    cancelled: int

    @property
    def not_answered(self) -> int:
        return max(self.buyers_told - self.kept - self.cancelled, 0)


def campaign_delay_summaries(*, campaign: Campaign) -> list[DelaySummary]:
    """Per delay: buyers told, and who kept or cancelled (two queries)."""
    delays = [update for update in campaign.updates.order_by("-posted_at", "-pk") if update_is_delay(update)]
    told = dict(
        Message.objects.filter(kind="delay_announced", params__update_id__in=[update.pk for update in delays])
        .values_list("params__update_id")
        .annotate(count=Count("pk"))
    )
    answers = {
        row["update_id"]: row
        for row in DelayResponse.objects.filter(update__in=delays)
        .values("update_id")
        .annotate(
            kept=Count("pk", filter=Q(choice=DelayResponse.Choice.KEEP)),
            cancelled=Count("pk", filter=Q(choice=DelayResponse.Choice.CANCEL)),
        )
    }
    return [
        DelaySummary(
            update=update,
            buyers_told=told.get(update.pk, 0),
            kept=answers.get(update.pk, {}).get("kept", 0),
            cancelled=answers.get(update.pk, {}).get("cancelled", 0),
        )
        for update in delays
    ]
