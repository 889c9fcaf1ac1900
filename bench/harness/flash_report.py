"""The flash PO's report: each phase's figures, the lock's times, the database; what went wrong."""

import os
import statistics
import subprocess

from bench.harness import BASE_DIR
from bench.harness.flash_buyers import OUTCOMES, QUIET_ORDERS, Checkout
from bench.harness.load import Hit
from bench.harness.pages import failed
from bench.harness.stats import ms, percentile, ratio


def layout(options) -> str:
    threads = f", {options.threads} threads each" if options.worker_class == "gthread" else ""
    web = f"gunicorn {options.workers} x {options.worker_class}{threads}"
    if options.front == "nginx":
        web = (f"nginx at nice {options.front_nice} in front of {web} for the pages and {options.checkout_workers} x "
               f"{options.worker_class}{threads} at nice {options.checkout_nice} for the checkout")  # fmt: skip
    return f"{web}, 1 Celery worker at nice {options.worker_nice}"


def code_line() -> str:
    """Which code ran: the commit, and the files changed since (others may be editing the tree)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True, timeout=10
        )
        status = subprocess.run(
            ["git", "status", "--porcelain"], cwd=BASE_DIR, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "code: unknown"
    changed = [line[3:] for line in status.stdout.splitlines() if not line[3:].startswith("bench/")]
    return f"code: {head.stdout.strip() or '?'}" + (
        f" with uncommitted changes to {', '.join(changed)}" if changed else ""
    )


def report(options, seeded, results, db, locks, log_lines, lock_lines, versions) -> list[str]:
    """Prints the report; the problems found, for the RESULT line."""
    problems: list[str] = []
    print()
    print(f"Flash PO on one small server: {layout(options)}; {os.cpu_count()} cores; {versions}")
    print(code_line())
    print(f"Flash PO: quota {options.quota} units over {len(seeded['flash']['items'])} sizes "
          f"({seeded['flash']['item_quota']} each); {options.buyers} buyers within {options.rush_spread:g} s, "
          f"{options.browsers} visitors browsing meanwhile")  # fmt: skip
    print()
    idle_p95 = idle_report(options, results, problems)
    accepted = rush_report(results, idle_p95)
    sustained_report(options, results)
    locks_report(db, locks, log_lines, lock_lines)
    database_report(results, db, accepted, problems)
    return problems


def idle_report(options, results, problems: list[str]) -> dict[str, float]:
    """The idle table; each page's p95, to compare the rush's with."""
    idle = results["idle"]
    idle_p95 = {}
    print(f"Idle: {options.idle_requests} requests per page, {options.concurrency} at a time")
    print("| page                 |  req/s | p50 ms | p95 ms | req/s vs bare | failed |")
    print("|----------------------|-------:|-------:|-------:|--------------:|-------:|")
    bare_rps = len(idle["bare"][0]) / idle["bare"][1]
    for kind, label in (("bare", "bare /_bench/bare/"), ("campaign", "campaign page"), ("home", "home page"),
                        ("checkout form", "checkout form (GET)")):  # fmt: skip
        hits, seconds = idle[kind]
        good = [h.seconds for h in hits if h.status == 200]
        failures = len(hits) - len(good)
        rps = len(hits) / seconds
        idle_p95[kind] = percentile(good, 95)
        print(f"| {label:<20} | {rps:6.0f} | {ms(percentile(good, 50)):>6} | {ms(idle_p95[kind]):>6} | "
              f"{ratio(rps, bare_rps):>13} | {failures:6d} |")  # fmt: skip
        if failures:
            problems.append(f"{failures} idle {kind} requests failed")
    print(f"CPU: {results['idle_cpu'].line()}")
    print()
    return idle_p95


def rush_report(results, idle_p95: dict[str, float]) -> list[Checkout]:
    """The rush's checkouts, pace and pages; the accepted checkouts."""
    buyers: list[Checkout] = results["buyers"]
    outcomes = {name: [c for c in buyers if c.outcome == name] for name in OUTCOMES}
    accepted = outcomes["accepted"]
    posts = [c.post for c in buyers if c.post]
    rush_start, rush_end = results["rush_start"], results["rush_end"]
    last_accept = max((c.post.finished for c in accepted), default=rush_start)
    post_window = (max(h.finished for h in posts) - min(h.started for h in posts)) if posts else 0
    print(f"Rush: {len(buyers)} buyers, {rush_end - rush_start:.1f} s from the first buyer to the last answer; "
          f"the last accepted order answered {last_accept - rush_start:.1f} s in")  # fmt: skip
    before_form = sum(1 for c in outcomes["refused"] if c.refused_when == "before the form")
    print("checkouts: " + ", ".join(f"{name} {len(group)}" for name, group in outcomes.items())
          + f" ({before_form} of the refused told so before the form, {len(outcomes['refused']) - before_form} at ordering)")  # fmt: skip
    others = [c.detail for c in buyers if c.outcome in ("other", "no form", "no answer", "5xx") and c.detail]
    for detail in sorted(set(others))[:8]:
        print(f"  e.g. {detail}")
    print(f"orders/s: {len(accepted) / max(last_accept - rush_start, 1e-9):.1f} accepted orders/s until sold out; "
          f"{len(posts) / max(post_window, 1e-9):.1f} checkout POSTs answered/s over the {post_window:.1f} s they took")  # fmt: skip
    earliest = sorted(c.earliest for c in buyers)
    if accepted and len(earliest) >= len(accepted):
        # Buyers arrive over --rush-spread s and take 0.2-1 s to fill the form in: even a shop that answered
        # at once could not take the quota-th order before the quota-th earliest "Order" press.
        bound = earliest[len(accepted) - 1]
        print(f"  the buyers' own pace: a shop answering at once would take these {len(accepted)} orders by "
              f"{bound:.2f} s, {len(accepted) / bound:.1f} orders/s; this one took {last_accept - rush_start:.2f} s "
              f"({bound / max(last_accept - rush_start, 1e-9):.2f} of that pace)")  # fmt: skip
    browsing: list[Hit] = results["browsing"]
    buyer_hits = [h for c in buyers for h in c.hits]

    def browsed(kind: str) -> list[Hit]:
        return [h for h in browsing if h.kind == kind]

    def bought(kind: str) -> list[Hit]:
        return [h for h in buyer_hits if h.kind == kind]

    print("| during the rush           |     n | p50 ms | p95 ms | p95 vs idle p95 | failed |")
    print("|---------------------------|------:|-------:|-------:|----------------:|-------:|")
    rows = [
        ("bare (visitors)", browsed("bare"), idle_p95["bare"]),
        ("campaign page (visitors)", browsed("campaign"), idle_p95["campaign"]),
        ("home page (visitors)", browsed("home"), idle_p95["home"]),
        ("campaign page (buyers)", bought("buyer: PO page"), idle_p95["campaign"]),
        ("checkout form (buyers)", bought("buyer: checkout form"), idle_p95["checkout form"]),
        ("checkout POST, accepted", [c.post for c in accepted], None),
        ("checkout POST, refused", [c.post for c in outcomes["refused"] if c.post], None),
        ("PO page after a refusal", bought("buyer: PO page after a refusal"), idle_p95["campaign"]),
    ]
    for label, hits, idle_value in rows:
        good = [h.seconds for h in hits if not failed(h.status)]
        failures = len(hits) - len(good)
        versus = ratio(percentile(good, 95), idle_value) if idle_value is not None else ""
        print(f"| {label:<25} | {len(hits):5d} | {ms(percentile(good, 50)):>6} | {ms(percentile(good, 95)):>6} | "
              f"{versus:>15} | {failures:6d} |")  # fmt: skip
    rush_checkout = [c.post.seconds for c in buyers if c.post and c.outcome in ("accepted", "refused")]
    print(f"checkout POST (all answered): {p50_p95(rush_checkout)}")
    print(f"CPU: {results['rush_cpu'].line()}")
    print()
    return accepted


def p50_p95(seconds: list[float]) -> str:
    return f"p50 {ms(percentile(seconds, 50))} ms, p95 {ms(percentile(seconds, 95))} ms"


def sustained_report(options, results) -> None:
    steady: list[Checkout] = results["steady"]
    steady_ok = [c for c in steady if c.outcome == "accepted"]
    steady_counts = {name: sum(1 for c in steady if c.outcome == name) for name in OUTCOMES}
    steady_posts = [c.post.seconds for c in steady_ok]
    steady_forms = [h.seconds for c in steady for h in c.hits if h.kind == "buyer: checkout form" and h.status == 200]
    print(f"Sustained: {results['steady_seconds']:.1f} s, {options.sustained_concurrency} buyers at a time on the PO "
          f"without quota (checkout form, then POST)")  # fmt: skip
    print("checkouts: " + ", ".join(f"{name} {count}" for name, count in steady_counts.items()))
    for detail in sorted({c.detail for c in steady if c.outcome != "accepted" and c.detail})[:5]:
        print(f"  e.g. {detail}")
    print(f"orders/s: {len(steady_ok) / results['steady_seconds']:.1f} accepted orders/s; checkout POST "
          f"{p50_p95(steady_posts)}; checkout form {p50_p95(steady_forms)}")  # fmt: skip
    print(f"CPU: {results['steady_cpu'].line()}")
    print()


def locks_report(db, locks, log_lines: int, lock_lines: int) -> None:
    print(f'Campaign lock per order ("orders.lock" lines: {lock_lines} of {log_lines} lines in gunicorn\'s log)')
    print("| orders of          |     n | held ms: min | median |   p95 |    max |")
    print("|--------------------|------:|-------------:|-------:|------:|-------:|")
    for phase, label in (("quiet", "one at a time"), ("rush", "the rush (flash)"), ("sustained", "sustained")):
        held = [h for h, _waited in locks[phase]]
        if not held:
            print(f"| {label:<18} |     0 |              |        |       |        |")
            continue
        print(f"| {label:<18} | {len(held):5d} | {min(held):12.2f} | {statistics.median(held):6.2f} | "
              f"{percentile(held, 95):5.2f} | {max(held):6.2f} |")  # fmt: skip
    print("  (from the moment the campaign row is locked to just after COMMIT; the wait for the lock is not")
    print("   counted. Under a rush on 2 cores the holder also waits for a CPU, which counts.)")
    total_orders = db["flash_rows"] + db["steady_rows"] + db["quiet_rows"]
    if lock_lines < total_orders:
        print(f"  (only {lock_lines} lock lines for {total_orders} orders: is LOG_LEVEL=DEBUG reaching the workers?)")
    print()


def database_report(results, db, accepted: list[Checkout], problems: list[str]) -> None:
    print("Database")
    print(f"flash PO: {db['orders']} live orders (expected {db['expected']}), {db['units']} units, "
          f"units reserved {db['campaign_reserved']} of {db['campaign_quota']}; statuses {db['statuses']}")  # fmt: skip
    for item_id, item_quota, reserved, lines in db["items"]:
        print(f"  item {item_id}: reserved {reserved} of {item_quota}, order lines {lines}")
    print(
        f"units oversold: {db['oversold']}; counters match the order lines: {'yes' if db['counters_match'] else 'NO'}"
    )
    flash_tokens, flash_once, flash_missing = db["flash_once"]
    steady_tokens, steady_once, steady_missing = db["steady_once"]
    quiet_tokens, quiet_once, quiet_missing = db["quiet_once"]
    print(f"accepted orders found exactly once: rush {flash_once} of {flash_tokens}, sustained {steady_once} of "
          f"{steady_tokens}, one at a time {quiet_once} of {quiet_tokens}; orders in the database: flash "
          f"{db['flash_rows']}, sustained PO {db['steady_rows']}, third PO {db['quiet_rows']}")  # fmt: skip

    everyone = results["buyers"] + results["steady"] + results["quiet"] + results["quiet_warm"]
    every_hit = [h for c in everyone for h in c.hits] + results["browsing"]
    fives = sum(1 for h in every_hit if h.status >= 500)
    no_answer = sum(1 for h in every_hit if h.status == 0)
    print(f"5xx: {fives}; no answer: {no_answer}")
    if db["oversold"]:
        problems.append(f"{db['oversold']} units oversold")
    if fives:
        problems.append(f"{fives} answers 5xx")
    if no_answer:
        problems.append(f"{no_answer} requests without an answer")
    if db["orders"] != db["expected"] or len(accepted) != db["expected"]:
        problems.append(f"{len(accepted)} accepted, {db['orders']} orders on the flash PO, {db['expected']} expected")
    if not db["counters_match"]:
        problems.append("units_reserved does not match the order lines")
    if (
        flash_missing or steady_missing or quiet_missing or quiet_tokens != QUIET_ORDERS + len(results["quiet_warm"])
        or (db["flash_rows"], db["steady_rows"], db["quiet_rows"]) != (flash_tokens, steady_tokens, quiet_tokens)
    ):  # fmt: skip
        problems.append("accepted orders and the orders in the database differ")
