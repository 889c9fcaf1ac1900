"""What the flash PO's run checks afterwards: the database against the answers, and the lock's times."""

import re
from pathlib import Path

from bench.harness.flash_buyers import Checkout
from bench.harness.services import Database

LOCK_LINE = re.compile(r"order (PO-\d{4}-\d+): campaign lock held ([\d.]+) ms \(waited ([\d.]+) ms for it\)")
LIVE = "('pending_payment', 'dp_paid', 'paid', 'shipped', 'completed')"


def database_check(
    database: Database, seeded, buyers: list[Checkout], steady: list[Checkout], quiet: list[Checkout], quota: int
) -> dict:
    flash_id, steady_id, quiet_id = seeded["flash"]["id"], seeded["steady"]["id"], seeded["quiet"]["id"]
    ((campaign_quota, campaign_reserved),) = database.query(
        "SELECT quota_total, units_reserved FROM campaigns_campaign WHERE id = %s", [flash_id]
    )
    items = database.query(
        f"""SELECT i.id, i.quota, i.units_reserved,
                   COALESCE((SELECT sum(l.quantity) FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
                             WHERE l.campaign_item_id = i.id AND o.status IN {LIVE}), 0)
            FROM campaigns_campaignitem i WHERE i.campaign_id = %s ORDER BY i.id""",
        [flash_id],
    )
    ((orders, units),) = database.query(
        f"SELECT count(*), COALESCE(sum(units), 0) FROM orders_order WHERE campaign_id = %s AND status IN {LIVE}",
        [flash_id],
    )
    all_orders = {
        campaign_id: count
        for campaign_id, count in database.query("SELECT campaign_id, count(*) FROM orders_order GROUP BY campaign_id")
    }
    statuses = dict(
        database.query("SELECT status, count(*) FROM orders_order WHERE campaign_id = %s GROUP BY status", [flash_id])
    )

    def found_once(checkouts: list[Checkout], campaign_id: int) -> tuple[int, int, int]:
        tokens = [c.token for c in checkouts if c.outcome == "accepted"]
        rows = (
            dict(
                database.query(
                    "SELECT token, count(*) FROM orders_order WHERE token = ANY(%s) AND campaign_id = %s GROUP BY token",
                    [tokens, campaign_id],
                )
            )
            if tokens
            else {}
        )
        once = sum(1 for token in tokens if rows.get(token) == 1)
        return len(tokens), once, len(tokens) - once

    item_oversold = sum(
        max(reserved - item_quota, 0) + max(lines - item_quota, 0) for _id, item_quota, reserved, lines in items
    )
    return {
        "campaign_quota": campaign_quota,
        "campaign_reserved": campaign_reserved,
        "orders": orders,
        "units": units,
        "statuses": statuses,
        "items": items,
        "oversold": max(units - campaign_quota, 0) + max(campaign_reserved - campaign_quota, 0) + item_oversold,
        "counters_match": campaign_reserved == units and all(reserved == lines for _i, _q, reserved, lines in items),
        "expected": min(quota, len(buyers)),
        "flash_once": found_once(buyers, flash_id),
        "steady_once": found_once(steady, steady_id),
        "flash_rows": all_orders.get(flash_id, 0),
        "steady_rows": all_orders.get(steady_id, 0),
        "quiet_once": found_once(quiet, quiet_id),
        "quiet_rows": all_orders.get(quiet_id, 0),
    }


def lock_times(
    database: Database, log_paths: list[Path], seeded, skip: list[Checkout]
) -> tuple[dict[str, list[tuple[float, float]]], int, int]:
    """{phase: [(lock held ms, ms waited for the lock)]} from gunicorn's logs, less the orders in `skip`; line counts."""
    by_number = dict(database.query("SELECT number, campaign_id FROM orders_order"))
    skipped = [c.token for c in skip if c.token]
    for (number,) in (
        database.query("SELECT number FROM orders_order WHERE token = ANY(%s)", [skipped]) if skipped else []
    ):
        by_number.pop(number, None)
    phase_of = {seeded["flash"]["id"]: "rush", seeded["steady"]["id"]: "sustained", seeded["quiet"]["id"]: "quiet"}
    times: dict[str, list[tuple[float, float]]] = {"rush": [], "sustained": [], "quiet": []}
    lines = matched = 0
    for path in log_paths:
        with open(path, errors="replace") as stream:
            for line in stream:
                lines += 1
                if "campaign lock held" not in line:
                    continue
                found = LOCK_LINE.search(line)
                if found:
                    matched += 1
                    phase = phase_of.get(by_number.get(found.group(1)))
                    if phase:
                        times[phase].append((float(found.group(2)), float(found.group(3))))
    return times, lines, matched
