"""Time and memory of the campaign page for a PO with many variants (1,000 by default).

    .venv/bin/python bench/big_campaign.py [--products 10 --sizes 10 --colours 10] [--runs 5]

Seeds a throw-away SQLite database (or --database-url), then renders the page with
the page cache off (every request renders) and prints server time per request
(min/median/max) and the process's peak memory.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

from django.test import Client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository's root: bench.harness, the apps

from bench.harness.django_setup import django_start
from bench.harness.stats import max_rss_mb, spread


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10)
    parser.add_argument("--sizes", type=int, default=10)
    parser.add_argument("--colours", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="prapesan-big-")
    django_start(
        var_dir=folder,
        database_url=args.database_url or f"sqlite:///{folder}/big.sqlite3",
        migrate=True,
        settings={"PAGE_CACHE_SECONDS": "0", "ALLOWED_HOSTS": "testserver"},
    )
    from bench.harness.shop import big_po_seed  # noqa: PLC0415 - needs django.setup() first

    campaign = big_po_seed(products=args.products, sizes=args.sizes, colours=args.colours)
    variants = campaign.items.count()
    client = Client()
    url = campaign.get_absolute_url()
    rss_before = max_rss_mb()
    times, size = [], 0
    for _ in range(args.runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        size = len(response.content)
    rss_after = max_rss_mb()
    figures = spread(times)
    print(f"campaign with {variants} variants, page {size / 1024:.0f} KB")
    print(
        f"server time per request: min {figures.min:.0f} ms, median {figures.median:.0f} ms, "
        f"max {figures.max:.0f} ms ({args.runs} runs, page cache off)"
    )
    print(f"process max RSS: {rss_before:.0f} MB before the requests, {rss_after:.0f} MB after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
