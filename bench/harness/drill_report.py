"""The drill's report: the requests per phase and per 5 s, the orders, the e-mails, what /health/ said."""

import collections
import json
import re
from pathlib import Path

from bench.harness.drill_buyers import Attempt, Buyer, Window
from bench.harness.pages import ORDER_PAGE, failed
from bench.harness.services import Database
from bench.harness.smtp_sink import Mail
from bench.harness.stats import median_max_seconds

ORDER_NUMBER = re.compile(r"PO-\d{4}-\d{5,}")


def latency_line(attempts: list[Attempt]) -> str:
    return median_max_seconds([attempt.seconds for attempt in attempts])


def waits(buyers: list[Buyer]) -> str:
    return median_max_seconds([sum(attempt.seconds for attempt in buyer.attempts) for buyer in buyers])


def timeline(buyers: list[Buyer], windows: list[Window], step: float = 5.0) -> None:
    """POSTs by the time they were sent, in slices of `step` seconds."""
    posts = sorted((attempt for buyer in buyers for attempt in buyer.posts), key=lambda attempt: attempt.started)
    if not posts:
        return
    print(f"| t (s) | {'/'.join(w.name for w in windows)} | POSTs | to an order page | 5xx | no answer | POST time |")
    print("|---|---|--:|--:|--:|--:|---|")
    start = 0.0
    while start <= posts[-1].started:
        end = start + step
        chunk = [attempt for attempt in posts if start <= attempt.started < end]
        if chunk:
            marks = "/".join("yes" if w.start < end and w.end > start else "-" for w in windows)
            print(
                f"| {start:3.0f}-{end:3.0f} | {marks} | {len(chunk)} | "
                f"{sum(1 for a in chunk if ORDER_PAGE.search(a.location))} | "
                f"{sum(1 for a in chunk if a.status >= 500)} | {sum(1 for a in chunk if a.status == 0)} | "
                f"{latency_line(chunk)} |"
            )
        start = end


def phases_table(buyers: list[Buyer], outage: Window, restart: Window) -> int:
    """The requests of each phase; the failed ones (5xx or no answer) of phase A."""
    print(
        "| phase | buyers | checkout POSTs | 2xx/3xx | to an order page | 4xx | 5xx | no answer | retried | POST time "
        "| buyer's wait (all requests) |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|")
    failures_a = 0
    for phase, label, window in (("A", "A: Redis down", outage), ("B", "B: PostgreSQL restart", restart)):
        group = [buyer for buyer in buyers if buyer.phase == phase]
        attempts = [attempt for buyer in group for attempt in buyer.attempts]
        posts = [attempt for buyer in group for attempt in buyer.posts]
        answered = sum(1 for attempt in posts if not failed(attempt.status))
        to_order = sum(1 for attempt in posts if ORDER_PAGE.search(attempt.location))
        four = [attempt for attempt in attempts if 400 <= attempt.status < 500]
        five = [attempt for attempt in attempts if attempt.status >= 500]
        none = [attempt for attempt in attempts if attempt.status == 0]
        retried = sum(1 for buyer in group if len(buyer.attempts) - len(buyer.posts) > 1 or len(buyer.posts) > 1)
        during = [attempt for attempt in posts if window.overlaps(attempt)]
        if phase == "A":
            failures_a = len(five) + len(none)
        print(f"| {label} | {len(group)} | {len(posts)} | {answered} | {to_order} | {len(four)} | {len(five)} "
              f"({sum(1 for a in five if window.overlaps(a))} during) | {len(none)} "
              f"({sum(1 for a in none if window.overlaps(a))} during) | {retried} | "
              f"{latency_line(posts)}; during: {latency_line(during)} | {waits(group)} |")  # fmt: skip
    return failures_a


def mails_per_order(mails: list[Mail], orders: list[tuple]) -> dict:
    """Each order's number with the e-mails the sink got for it: once, missing, doubled, to another address."""
    received = collections.Counter()
    wrong_address = 0
    by_number = {number: email_ for _id, number, email_, _at in orders}
    for mail in mails:
        found = ORDER_NUMBER.search(mail.subject)
        if not found:
            continue
        received[found.group(0)] += 1
        if by_number.get(found.group(0)) not in mail.to:
            wrong_address += 1
    return {
        "once": sum(1 for number in by_number if received[number] == 1),
        "missing": sorted(number for number in by_number if received[number] == 0),
        "doubled": [f"{number} x{received[number]}" for number in sorted(by_number) if received[number] > 1],
        "wrong address": wrong_address,
    }


def health_said(health: list[tuple[float, int, dict]]) -> None:
    print()
    print("/health/ as a monitor saw it:")
    previous = None
    for at, status, body in health:
        state = (status, body.get("database"), body.get("broker"))
        if state != previous:
            print(f"  t={at:6.1f} s  {status}  database={body.get('database', '-')} "
                  f"broker={body.get('broker', '-')} waiting={body.get('messages_waiting', '-')}")  # fmt: skip
            previous = state


def report(
    *,
    options,
    database: Database,
    buyers: list[Buyer],
    outage: Window,
    restart: Window,
    mails: list[Mail],
    health: list[tuple[float, int, dict]],
    drained: bool,
    drain_seconds: float,
    dead: list[str],
    work_dir: Path,
    total_seconds: float,
    processes_restarted: str = "",
) -> int:
    """Prints the report; the drill's exit code."""
    (work_dir / "attempts.json").write_text(
        json.dumps([{**vars(buyer), "attempts": [vars(a) for a in buyer.attempts]} for buyer in buyers], indent=1)
    )
    orders = database.query("SELECT id, number, email, created_at FROM orders_order ORDER BY id")
    messages = dict(
        database.query("SELECT status, count(*) FROM orders_message WHERE kind = 'order_placed' GROUP BY status")
    )
    stuck = database.query(
        "SELECT key, status, attempts, last_error FROM orders_message WHERE status <> 'sent' ORDER BY id LIMIT 10"
    )
    per_email = collections.Counter(email_ for _id, _number, email_, _at in orders)
    duplicates = {email_: count for email_, count in per_email.items() if count > 1}
    per_order = mails_per_order(mails, orders)

    print()
    print(f"Drill: {options.buyers} buyers per phase, Redis down {options.redis_outage:g} s, "
          f"PostgreSQL stopped {options.db_down:g} s and started "
          f"({restart.end - restart.start:.1f} s until it answered); {total_seconds:.0f} s in all")  # fmt: skip
    print()
    failures_a = phases_table(buyers, outage, restart)
    no_order = [buyer.number for buyer in buyers if not buyer.ordered]
    statuses = collections.Counter(attempt.status for buyer in buyers for attempt in buyer.attempts)
    print()
    timeline(buyers, [outage, restart])
    print()
    print(f"HTTP answers (all requests, GET and POST): {dict(sorted(statuses.items()))}")
    errors = collections.Counter(attempt.error for buyer in buyers for attempt in buyer.attempts if attempt.error)
    if errors:
        print(f"No answer: {dict(errors)}")
    print(f"Buyers who never reached an order page: {len(no_order)}")
    print()
    print(f"Orders in the database: {len(orders)} (buyers: {len(buyers)})")
    print(f"Duplicate orders (same e-mail, more than one order): {sum(duplicates.values()) - len(duplicates)} "
          f"extra, {len(duplicates)} buyers{': ' + ', '.join(sorted(duplicates)) if duplicates else ''}")  # fmt: skip
    print()
    print(f"'How to pay' messages (order_placed rows): {sum(messages.values())}: "
          f"sent {messages.get('sent', 0)}, pending {messages.get('pending', 0)}, "
          f"sending {messages.get('sending', 0)}, failed {messages.get('failed', 0)}")  # fmt: skip
    waiting = messages.get("pending", 0) + messages.get("sending", 0)
    print(
        f"Outbox drained {drain_seconds:.0f} s after the last checkout"
        if drained
        else f"Outbox NOT drained: {waiting} 'how to pay' messages still waiting {drain_seconds:.0f} s after the last checkout"
    )
    for key, status, attempts, error in stuck:
        print(f"  not sent: {key} {status} attempts={attempts} {error[:160]}")
    missing, doubled = per_order["missing"], per_order["doubled"]
    print(f"E-mails received by the SMTP sink: {len(mails)}; per order: sent once {per_order['once']}, "
          f"missing {len(missing)}, doubled {len(doubled)}")  # fmt: skip
    for label, shown in (("missing", missing[:20]), ("doubled", doubled[:20])):
        if shown:
            print(f"  {label}: {', '.join(shown)}")
    if per_order["wrong address"]:
        print(f"  e-mails to another address than the order's: {per_order['wrong address']}")
    if health:
        health_said(health)
    print()
    print(f"Redis down from t={outage.start:.1f} s to t={outage.end:.1f} s; "
          f"PostgreSQL restarting from t={restart.start:.1f} s to t={restart.end:.1f} s")  # fmt: skip
    if dead:
        print(f"Processes that died: {', '.join(dead)}")
    if processes_restarted:
        print(f"Restarted by the supervisor (as systemd would): {processes_restarted}")

    problems = [
        text
        for count, text in (
            (len(missing), f"{len(missing)} orders without their e-mail"),
            (len(doubled), f"{len(doubled)} orders with their e-mail more than once"),
            (len(duplicates), f"{len(duplicates)} buyers with duplicate orders"),
            (failures_a, f"{failures_a} failed requests (5xx or no answer) in phase A"),
            (len(dead), f"{', '.join(dead)} died"),
        )
        if count
    ]
    print()
    print("RESULT:", "PASS" if not problems else "FAIL: " + "; ".join(problems))
    if problems and not options.keep:
        print("(run with --keep to keep the logs and the 5xx pages)")
    return 0 if not problems else 1
