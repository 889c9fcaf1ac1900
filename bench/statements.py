"""Time a bank statement's import against many open orders, with its memory.

    .venv/bin/python bench/statements.py [--lines 10000] [--orders 5000] [--database-url URL] [--runs 3]

Seeds a throw-away database (a fresh SQLite file in a temporary folder unless --database-url names
another, e.g. a PostgreSQL database it may drop and create) with --orders unpaid orders of one PO, each
with its own amount (the kode unik), and writes a BCA statement of --lines lines: a third pay an order
exactly, a tenth leave out the kode unik (suggestions), a tenth are debits, the rest pay nothing known.
Then, each run on a fresh copy of the orders: reads the file, previews it, imports it (matching and
confirming in one transaction), and prints the seconds and the peak Python memory of each step, with
min / median / max over the runs. A second import of the same file (every line known) is timed too.
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository's root: bench.harness, the apps

from bench.harness.django_setup import django_start  # noqa: E402
from bench.harness.stats import max_rss_mb  # noqa: E402


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=10_000, help="lines in the statement (default 10000)")
    parser.add_argument("--orders", type=int, default=5_000, help="open orders to match against (default 5000)")
    parser.add_argument("--runs", type=int, default=3, help="imports, each on fresh orders (default 3)")
    parser.add_argument("--database-url", default="", help="default: SQLite in a temporary folder")
    return parser.parse_args()


def _statement(amounts: list[int], near: list[int], lines: int, today: datetime.date) -> bytes:
    draw = random.Random(7)
    rows = []
    for number in range(lines):
        day = today - datetime.timedelta(days=draw.randrange(0, 3))
        if number < len(amounts):
            amount, mark = amounts[number], "CR"
        elif number < len(amounts) + len(near):
            amount, mark = near[number - len(amounts)], "CR"
        elif number % 10 == 0:
            amount, mark = draw.randrange(10_000, 2_000_000), "DB"
        else:
            amount, mark = draw.randrange(10, 99) * 1_000_000 + 7, "CR"  # nobody owes these
        rows.append(
            f"'{day:%d/%m/%Y},TRSF E-BANKING CR {number:06d}/FTSCY/WS95031 PEMBELI {number},'0000,{amount}.00,{mark},0.00\n"
        )
    return (
        "No. Rekening,=,'0202405914\nNama,=,TOKO\nMata Uang,=,IDR\n\nTanggal,Keterangan,Cabang,Jumlah,,Saldo\n"
        + "".join(rows)
        + "Saldo Awal,=,0.00\nKredit,=,0.00\nDebet,=,0.00\nSaldo Akhir,=,0.00\n"
    ).encode()


def _measured(step, *, traced: bool):
    """The step's result, its seconds (untraced runs) and its peak Python memory in MB (a traced run: tracing
    slows Python down several times, so a traced run's time is not counted)."""
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if traced else 0.0
    tracemalloc.stop()
    return result, seconds, peak


def main() -> int:
    options = _arguments()
    folder = tempfile.mkdtemp(prefix="prapesan-statements-")
    django_start(
        var_dir=folder,
        database_url=options.database_url or f"sqlite:///{folder}/bench.sqlite3",
        migrate=True,
        settings={"STATEMENT_MAX_ROWS": str(max(options.lines * 2, 100_000))},
    )
    # After django.setup(): the apps' models.
    from django.db import connection, transaction  # noqa: PLC0415 - needs django.setup() first
    from django.utils import timezone  # noqa: PLC0415

    from orders.models import BankAccount, Message, Order  # noqa: PLC0415
    from payments.models import BankStatementImport, BankStatementLine, Payment  # noqa: PLC0415
    from payments.statements.importing import statement_import, statement_preview  # noqa: PLC0415
    from payments.statements.reading import statement_read  # noqa: PLC0415
    from tests.factories import campaign_with_products, orders_at_amount  # noqa: PLC0415

    campaign = campaign_with_products(products=1, options={"Ukuran": ["S"]}, payment_terms="full_only")
    account = BankAccount.objects.create(bank_name="BCA", account_number="0202405914", account_holder="Toko")
    today = timezone.localdate()
    base = 150_000
    # Codes past 999 (four digits) as a crowded price gets them: one price for every order.
    codes = list(range(1, options.orders + 1))
    paid_codes = codes[: options.lines // 3]
    near_codes = codes[len(paid_codes) : len(paid_codes) + options.lines // 10]
    # Near: a few hundred rupiah off what an order owes (a typo, a fee taken): suggestions.
    # Near: a few hundred rupiah above the highest amount owed (a typo, a fee added): suggestions.
    near = [base + options.orders + 100 + number % 800 for number in range(len(near_codes))]
    data = _statement([base + code for code in paid_codes], near, options.lines, today)
    path = Path(folder) / "mutasi.csv"
    path.write_bytes(data)
    print(
        f"{connection.vendor}: {options.orders} open orders, a statement of {options.lines} lines ({len(data) / 2**20:.1f} MB)"
    )

    steps = {
        "read the file": lambda _rows: statement_read(
            data=path.read_bytes(), file_name=path.name, layout="bca", today=today
        ),
        "preview": lambda rows: statement_preview(bank_account=account, rows=rows),
        "import (match and confirm)": lambda rows: statement_import(
            bank_account=account, rows=rows, file_name=path.name, layout="bca", actor=None, now=timezone.now()
        ),
        "the same file again": lambda rows: statement_import(
            bank_account=account, rows=rows, file_name=path.name, layout="bca", actor=None, now=timezone.now()
        ),
    }
    seconds: dict[str, list[float]] = {step: [] for step in steps}
    peaks: dict[str, float] = {}
    for run in range(options.runs + 1):
        traced = run == options.runs  # the last run measures memory only
        with transaction.atomic():
            Message.objects.all().delete()
            BankStatementLine.objects.all().delete()
            BankStatementImport.objects.all().delete()
            Payment.objects.all().delete()
            Order.objects.all().delete()
        orders_at_amount(campaign, base, codes)
        Order.objects.update(created_at=timezone.now() - datetime.timedelta(days=5))
        rows, results = None, {}
        for step, call in steps.items():
            result, took, peak = _measured(lambda call=call, rows=rows: call(rows), traced=traced)
            rows = result if step == "read the file" else rows
            results[step] = result
            if traced:
                peaks[step] = peak
            else:
                seconds[step].append(took)
        if run == 0:
            record, again = results["import (match and confirm)"], results["the same file again"]
            print(
                f"lines read {record.lines_read}, credits {record.credits}, confirmed {record.confirmed}, "
                f"suggestions {record.suggestions}, unmatched {record.unmatched}, debits {record.debits}; "
                f"again: new credits {again.credits}, imported before {again.already_imported}"
            )
            assert record.confirmed == len(paid_codes), record.confirmed
            assert again.credits == 0
    print(f"\n| step | seconds min / median / max ({options.runs} runs) | peak Python MB |\n|---|---|---|")
    for step, values in seconds.items():
        median = statistics.median(values)
        print(f"| {step} | {min(values):.2f} / {median:.2f} / {max(values):.2f} | {peaks[step]:.1f} |")
    print(f"\nmax RSS of the process: {max_rss_mb():.0f} MB")
    if not options.database_url:
        os.remove(Path(folder) / "bench.sqlite3")
    return 0


if __name__ == "__main__":
    sys.exit(main())
