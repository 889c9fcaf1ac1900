"""The servers drill's figures, one greppable line each, and whether they all hold."""

import collections
from dataclasses import dataclass
from pathlib import Path

from bench.harness.drill_buyers import Buyer
from bench.harness.servers_flows import Flow
from bench.harness.servers_logs import BeatFigures, clock
from bench.harness.servers_s3 import S3Server
from bench.harness.servers_traffic import order_token
from bench.harness.services import Database
from bench.harness.smtp_sink import Mail

RENDITION = "{root}.w{width}.jpg"  # catalog.images.rendition_name
GAP_MARGIN_SECONDS = 2.0  # a tick's own time and the logs' clock, on top of the lock's timeout and the loop


@dataclass
class Run:
    """What the drill gathered, for the report."""

    flows: list[Flow]
    local_files: dict[str, list[str]]  # server: files under its MEDIA_ROOT and PRIVATE_MEDIA_ROOT
    beats: BeatFigures
    lock_timeout: int
    loop_interval: int
    killed: str
    buyers: list[Buyer]
    proofs_sent: list[tuple[str, int]]  # (order token, status of the proof's POST)
    statuses: list[int]  # every HTTP answer of the run (0: none)
    mails: list[Mail]
    drained: bool
    seconds: float


def local_files(var_dirs: dict[str, Path]) -> dict[str, list[str]]:
    """The files under each server's MEDIA_ROOT and PRIVATE_MEDIA_ROOT (VAR_DIR/media, VAR_DIR/private)."""
    return {
        server: sorted(
            str(path.relative_to(var_dir))
            for folder in ("media", "private")
            for path in (var_dir / folder).rglob("*")
            if path.is_file()
        )
        for server, var_dir in var_dirs.items()
    }


def files_lost(database: Database, s3: S3Server) -> list[str]:
    """Proofs, pictures and renditions the database names that the bucket does not hold."""
    held = s3.objects()
    wanted = [f"private/{name}" for (name,) in database.query("SELECT proof FROM payments_payment WHERE proof <> ''")]
    for name, widths in database.query("SELECT image, rendition_widths FROM catalog_productimage"):
        root = name.rsplit(".", 1)[0]
        wanted += [f"media/{name}", *(f"media/{RENDITION.format(root=root, width=width)}" for width in widths or [])]
    return [key for key in wanted if key not in held]


def report(run: Run, database: Database, s3: S3Server, slug: str) -> int:
    """Prints the figures; 0 when every one holds, 1 otherwise."""
    problems = []
    flows = {flow.name: flow for flow in run.flows}
    print()
    for flow in run.flows:
        print(f"  {flow.name}: {'ok' if flow.ok else 'FAILED'}; " + "; ".join(flow.said))
    picture = flows["picture B->A"]
    print("files seen across servers: " + ", ".join(
        f"{flow.name} {'ok' if flow.ok else 'FAILED'}" + (f" (+{picture.extra} renditions)" if flow is picture else "")
        for flow in run.flows
    ))  # fmt: skip
    problems += [f"{flow.name} failed" for flow in run.flows if not flow.ok]
    lost = files_lost(database, s3)
    print(f"files lost: {len(lost)}" + (f" ({', '.join(lost[:5])})" if lost else ""))
    on_disk = sum(len(files) for files in run.local_files.values())
    print(f"files on local disks: {on_disk}" + "".join(
        f"; {server}: {', '.join(files[:5])}" for server, files in run.local_files.items() if files
    ))  # fmt: skip
    problems += [f"{len(lost)} files lost"] * bool(lost) + [f"{on_disk} files on local disks"] * bool(on_disk)

    beats = run.beats
    allowed = run.lock_timeout + run.loop_interval + GAP_MARGIN_SECONDS
    print()
    print(f"beat: lock timeout {run.lock_timeout} s (BEAT_LOCK_TIMEOUT_SECONDS), loop {run.loop_interval} s; "
          f"killed the holder, {run.killed}")  # fmt: skip
    takeover = f"{beats.takeover_after_kill:.1f} s" if beats.takeover_after_kill is not None else "never"
    print(f"takeover: the survivor took the lock {takeover} after the kill")
    print(f"longest gap without a beat tick: {beats.longest_gap:.1f} s (lock timeout {run.lock_timeout} s + loop "
          f"{run.loop_interval} s; from {clock(beats.gap_from)} to {clock(beats.gap_to)} UTC)")  # fmt: skip
    job_gap = f"{beats.minute_job_longest_gap:.1f} s" if beats.minute_job_longest_gap is not None else "-"
    print(f"longest gap between sends of {beats.minute_job} (every minute), both beats: {job_gap}")
    print(f"jobs sent by the beats: {beats.sends}; missed minutes: {len(beats.missed)}" + (
        f" ({'; '.join(beats.missed[:5])})" if beats.missed else ""))  # fmt: skip
    for task, (sent, once, never, twice) in beats.per_task.items():
        print(f"  {task}: sent {sent}, received once {once}, not received {never}, received twice {twice}")
    print(f"  (the outbox's sweep was also queued {beats.nudged_sweeps} times by checkouts, not by a beat)")
    unmatched = sum(never + twice for _sent, _once, never, twice in beats.per_task.values())
    print(f"jobs doubled: {len(beats.doubled)}" + (f" ({'; '.join(beats.doubled[:5])})" if beats.doubled else ""))
    print(f"jobs not received exactly once by the workers: {unmatched}")
    if beats.takeover_after_kill is None:
        problems.append("no beat took the lock after the kill")
    if beats.longest_gap > allowed:
        problems.append(f"a gap of {beats.longest_gap:.1f} s without a tick (allowed {allowed:g})")
    problems += [f"{len(beats.doubled)} jobs doubled"] * bool(beats.doubled)
    problems += [f"{len(beats.missed)} minutes missed"] * bool(beats.missed)
    problems += [f"{unmatched} jobs not received exactly once"] * bool(unmatched)

    print()
    problems += nothing_lost(run, database, slug)
    print(f"{run.seconds:.0f} s in all")
    print("RESULT:", "PASS" if not problems else "FAIL: " + "; ".join(problems))
    return 1 if problems else 0


def nothing_lost(run: Run, database: Database, slug: str) -> list[str]:
    """Orders, payments and "how to pay" e-mails: each exactly once; no 5xx. Prints them; the problems."""
    tokens = {buyer.number: order_token(buyer) for buyer in run.buyers}
    placed = [token for token in tokens.values() if token]
    found = collections.Counter(
        token for (token,) in database.query("SELECT token FROM orders_order WHERE token = ANY(%s)", (placed,))
    )
    in_database = sum(1 for token in placed if found[token] == 1)
    emails = database.query(
        "SELECT o.email, count(*) FROM orders_order o JOIN campaigns_campaign c ON c.id = o.campaign_id "
        "WHERE c.slug = %s GROUP BY o.email HAVING count(*) > 1",
        (slug,),
    )
    print(f"orders: {len(placed)} placed, {in_database} in database, {len(placed) - in_database} lost; "
          f"buyers with two orders: {len(emails)}; buyers without an order page: {len(run.buyers) - len(placed)}")  # fmt: skip
    submitted = [token for token, status in run.proofs_sent if status == 302]
    payments = collections.Counter(
        token
        for (token,) in database.query(
            "SELECT o.token FROM payments_payment p JOIN orders_order o ON o.id = p.order_id "
            "WHERE o.token = ANY(%s) AND p.proof <> ''",
            (submitted,),
        )
    )
    kept = sum(1 for token in submitted if payments[token] == 1)
    print(f"payments: {len(submitted)} submitted with a proof, {kept} in database, {len(submitted) - kept} lost "
          f"(proof POSTs not taken: {len(run.proofs_sent) - len(submitted)})")  # fmt: skip
    messages = database.query(
        "SELECT o.number, o.email, m.subject, m.status FROM orders_message m JOIN orders_order o ON o.id = m.order_id "
        "JOIN campaigns_campaign c ON c.id = o.campaign_id WHERE m.kind = 'order_placed' AND c.slug = %s",
        (slug,),
    )
    received = collections.Counter((mail.subject, mail.to) for mail in run.mails)
    per_order = collections.Counter()
    for _number, email, subject, _status in messages:
        count = sum(
            n for (mail_subject, to), n in received.items() if subject and mail_subject == subject and email in to
        )
        per_order["once" if count == 1 else "missing" if count == 0 else "doubled"] += 1
    print(f"e-mails: {len(messages)} 'how to pay' messages, sent once {per_order['once']}, missing "
          f"{per_order['missing']}, doubled {per_order['doubled']}; outbox drained: {'yes' if run.drained else 'NO'}")  # fmt: skip
    failures = collections.Counter(status for status in run.statuses if status >= 500 or status == 0)
    print(f"5xx: {sum(n for status, n in failures.items() if status)}; no answer: {failures[0]} "
          f"(of {len(run.statuses)} requests)")  # fmt: skip
    problems = []
    for count, text in (
        (len(placed) - in_database, "orders lost"),
        (len(emails), "buyers with two orders"),
        (len(run.buyers) - len(placed), "buyers without an order"),
        (len(submitted) - kept, "payments lost"),
        (len(run.proofs_sent) - len(submitted), "proofs refused"),
        (per_order["missing"] + per_order["doubled"], "orders without their e-mail exactly once"),
        (sum(failures.values()), "requests with a 5xx or no answer"),
        (abs(len(messages) - in_database), "'how to pay' messages more or fewer than the orders"),
    ):
        if count:
            problems.append(f"{count} {text}")
    return problems
