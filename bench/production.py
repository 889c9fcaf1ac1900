"""Time the production tally and the production/packing exports on a big PO.

    .venv/bin/python bench/production.py [--lines 100000] [--database-url URL] [--keep]

Seeds a throw-away database (a fresh SQLite file in a temporary folder unless
--database-url names another one) with a campaign of --lines order lines, then
takes the tally and writes each export to a temporary file. Each step runs in
a process of its own, twice: once for the time and the process's max RSS, then
under tracemalloc for the peak Python memory (tracing slows Python down, so its
time is not the one shown).
"""

import argparse
import gc
import json
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from django.db import connection
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository's root: bench.harness, the apps

from bench.harness.django_setup import django_start
from bench.harness.stats import max_rss_mb

STEPS = {
    # name: file written (or "")
    "production_tally_take": "",
    "production list xlsx": "production.xlsx",
    "production list csv": "production.csv",
    "packing list xlsx": "packing.xlsx",
    "packing list csv": "packing.csv",
    "address labels html": "labels.html",
}


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000, help="order lines to seed (default 100000)")
    parser.add_argument(
        "--database-url", help="a throw-away database to use instead of a fresh SQLite file; it gets the seeded PO"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database and exports)")
    # Used by the script itself: each step runs in a child process.
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--campaign", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--work-dir", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def step_function(*, name: str, campaign_id: int, work_dir: Path) -> Callable[[], None]:
    from campaigns.models import Campaign  # noqa: PLC0415 - needs django.setup() first
    from fulfilment.exports import (  # noqa: PLC0415 - needs django.setup() first
        address_labels,
        packing_list_write,
        production_list_write,
    )
    from fulfilment.models import ProductionTally  # noqa: PLC0415 - needs django.setup() first
    from fulfilment.services import production_tally_take  # noqa: PLC0415 - needs django.setup() first

    campaign = Campaign.objects.get(pk=campaign_id)
    path = work_dir / STEPS[name] if STEPS[name] else None

    def run():
        if name == "production_tally_take":
            production_tally_take(campaign=campaign, now=timezone.now())
        elif name.startswith("production list"):
            tally = ProductionTally.objects.select_related("campaign").get(campaign=campaign)
            with path.open("wb") as out:
                production_list_write(tally=tally, out=out, file_format=path.suffix[1:])
        elif name.startswith("packing list"):
            with path.open("wb") as out:
                packing_list_write(campaign=campaign, out=out, file_format=path.suffix[1:])
        else:
            context = {"shop_name": "Bench", "shop_address": "", "campaign": campaign}
            path.write_text(
                render_to_string(
                    "fulfilment/address_labels.html", {**context, "labels": address_labels(campaign=campaign)}
                )
            )

    return run


def step_measure(*, name: str, campaign_id: int, work_dir: Path) -> dict:
    """In a process of its own: the max RSS is this step's (plus Django's), not the seeding's or another step's.

    Timed untraced first, and its max RSS read, then run again under tracemalloc for the peak.
    """
    run = step_function(name=name, campaign_id=campaign_id, work_dir=work_dir)
    connection.ensure_connection()
    baseline = max_rss_mb()
    gc.collect()
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    rss = max_rss_mb()
    gc.collect()
    tracemalloc.start()
    try:
        run()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = (work_dir / STEPS[name]).stat().st_size / 1024 / 1024 if STEPS[name] else None
    return {"seconds": seconds, "peak_mb": peak / 1024 / 1024, "rss_mb": rss, "baseline_mb": baseline, "file_mb": size}


def step_run(*, name: str, campaign_id: int, work_dir: Path, database_url: str) -> dict:
    """step_measure() in a child process: what it measured."""
    child = subprocess.run(
        [sys.executable, __file__, "--step", name, "--campaign", str(campaign_id), "--work-dir", str(work_dir)]
        + ["--database-url", database_url],
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode:
        sys.exit(f"{name} failed:\n{child.stderr}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def table_print(rows: list[tuple[str, dict]]) -> None:
    print(f"| {'step':<22} | {'seconds':>7} | {'peak MB':>7} | {'max RSS MB':>10} | {'file MB':>7} |")
    print(f"|{'-' * 24}|{'-' * 8}:|{'-' * 8}:|{'-' * 11}:|{'-' * 8}:|")
    for name, result in rows:
        size = f"{result['file_mb']:7.1f}" if result["file_mb"] is not None else f"{'':>7}"
        print(
            f"| {name:<22} | {result['seconds']:7.2f} | {result['peak_mb']:7.1f} | {result['rss_mb']:10.0f} | {size} |"
        )


def main() -> None:
    args = arguments()
    if args.step:
        django_start(var_dir=str(args.work_dir), database_url=args.database_url, migrate=False, settings={})
        print(json.dumps(step_measure(name=args.step, campaign_id=args.campaign, work_dir=args.work_dir)))
        return
    work_dir = Path(tempfile.mkdtemp(prefix="prapesan-bench-"))
    database_url = args.database_url or f"sqlite:///{work_dir / 'bench.sqlite3'}"
    try:
        django_start(var_dir=str(work_dir), database_url=database_url, migrate=True, settings={})
        from bench.harness.production_seed import production_po_seed  # noqa: PLC0415 - needs django.setup() first
        from fulfilment.models import ProductionTally  # noqa: PLC0415 - needs django.setup() first

        started = time.perf_counter()
        campaign, counts = production_po_seed(lines=args.lines, now=timezone.now())
        seeded_in = time.perf_counter() - started
        print(
            f"{connection.vendor}: seeded {counts['orders']:,} orders, {counts['lines']:,} lines, "
            f"{counts['payments']:,} payments in {seeded_in:.1f} s",
            flush=True,
        )
        connection.close()
        rows = []
        for name in STEPS:
            result = step_run(name=name, campaign_id=campaign.pk, work_dir=work_dir, database_url=database_url)
            rows.append((name, result))
            print(f"  {name}: {result['seconds']:.2f} s", flush=True)
        tally = ProductionTally.objects.get(campaign=campaign)
        notes = tally.lines.aggregate(notes=Count("notes"))["notes"]
        print(f"\nTally: {tally.orders:,} paid orders, {tally.units:,} units, {notes:,} notes")
        print(f"Django alone (after setup, before a step): max RSS {rows[0][1]['baseline_mb']:.0f} MB\n")
        table_print(rows)
        if args.keep:
            print(f"\nKept {work_dir}")
    finally:
        if not args.keep:
            shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
