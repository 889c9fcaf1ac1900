"""Time and memory of the campaign page for a PO with many variants (1,000 by default).

    .venv/bin/python bench/big_campaign.py [--products 10 --sizes 10 --colours 10] [--runs 5]

Seeds a throw-away SQLite database (or --database-url), then renders the page with
the page cache off (every request renders) and prints server time per request
(min/median/max) and the process's peak memory.
"""

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10)
    parser.add_argument("--sizes", type=int, default=10)
    parser.add_argument("--colours", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="prapesan-big-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "preorder_shop.settings")
    os.environ["VAR_DIR"] = folder
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{folder}/big.sqlite3"
    os.environ["PAGE_CACHE_SECONDS"] = "0"
    os.environ["DEBUG"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    from tests.factories import campaign_with_products

    campaign = campaign_with_products(
        products=args.products,
        options={
            "Ukuran": [f"U{n}" for n in range(args.sizes)],
            "Warna": [f"Warna {n}" for n in range(args.colours)],
        },
    )
    variants = campaign.items.count()
    client = Client()
    url = campaign.get_absolute_url()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times, size = [], 0
    for _ in range(args.runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        size = len(response.content)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"campaign with {variants} variants, page {size / 1024:.0f} KB")
    print(
        f"server time per request: min {min(times):.0f} ms, median {statistics.median(times):.0f} ms, "
        f"max {max(times):.0f} ms ({args.runs} runs, page cache off)"
    )
    print(f"process max RSS: {rss_before:.0f} MB before the requests, {rss_after:.0f} MB after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
