"""The transactional outbox: every message to a buyer or the seller is a row.

`message_queue` writes the row inside the caller's transaction, once per key,
and after COMMIT nudges the worker's sweep, one queued for all the messages
written until it starts; a failed nudge (broker down) is only logged, because
beat's sweep delivers whatever is due. Delivery claims the rows first, so two
workers (or a repeat) send each once, and retries
transient errors with backoff up to a cap, after which the seller sees it
in admin with its error.
"""

import contextvars
import datetime
import logging
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlencode

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import DatabaseError, connection, transaction
from django.db.models import CharField, Q, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from preorder_shop.client import CACHE_DOWN_ERRORS, cache_down, cache_down_note

from .models import Message, Order

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A row claimed this long ago whose worker never finished (killed) is sent again.
STALE_CLAIM = datetime.timedelta(minutes=6)  # past the task time limit: its worker is gone

# kind -> function(message) -> (subject, body); each app registers its kinds in AppConfig.ready().
RENDERERS: dict[str, Callable[[Message], tuple[str, str]]] = {}
KIND_LABELS: dict[str, str] = {}


def message_renderer(kind: str, label: str = ""):
    def register(function):
        RENDERERS[kind] = function
        KIND_LABELS[kind] = label or kind
        return function

    return register


# What every message of one sweep reads alike (the bank accounts): read once per sweep, see sweep_shared.
_sweep_shared: contextvars.ContextVar[dict | None] = contextvars.ContextVar("outbox_sweep_shared", default=None)


def sweep_shared(name: str, build: Callable[[], object]):
    """`build()`, read once for all the messages of the sweep running now (each time outside a sweep)."""
    shared = _sweep_shared.get()
    if shared is None:
        return build()
    if name not in shared:
        shared[name] = build()
    return shared[name]


def retry_delay(attempts: int) -> datetime.timedelta:
    """1, 2, 4 ... minutes after each failed attempt, at most an hour."""
    return datetime.timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def message_build(
    *,
    kind: str,
    key: str,
    now: datetime.datetime,
    order: Order | None = None,
    params: dict | None = None,
    audience: str = Message.Audience.BUYER,
    to_email: str | None = None,
    to_phone: str | None = None,
    language: str | None = None,
) -> Message:
    """The message for `key`, not written yet: write it in the caller's transaction and call
    `message_written` (message_queue does both)."""
    if kind not in RENDERERS:
        raise ValueError(f"No renderer for message kind {kind!r}.")
    if audience == Message.Audience.BUYER and order is not None:
        to_email = order.email if to_email is None else to_email
        to_phone = order.phone if to_phone is None else to_phone
        language = language or order.language
    return Message(
        key=key,
        kind=kind,
        audience=audience,
        order=order,
        to_email=to_email or "",
        to_phone=to_phone or "",
        language=language or settings.LANGUAGE_CODE,
        params=params or {},
        status=Message.Status.PENDING if to_email else Message.Status.NO_EMAIL,
        # Delivery runs on the real clock, whatever `now` a job or test passes.
        next_attempt_at=timezone.now(),
        created_at=now,
    )


def message_written(message: Message) -> None:
    """After a new message's row went in: its delivery is nudged once the transaction commits."""
    if message.status == Message.Status.PENDING:
        transaction.on_commit(outbox_nudge)


def message_queue(*, key: str, **fields) -> Message:
    """Write the message for `key` (with message_build's `fields`) in the current transaction, unless it
    exists; returns the row."""
    message = message_build(key=key, **fields)
    defaults = {field.attname: getattr(message, field.attname) for field in Message._meta.concrete_fields}
    for name in ("id", "key"):
        defaults.pop(name)
    message, created = Message.objects.get_or_create(key=key, defaults=defaults)
    if created:
        message_written(message)
    return message


def messages_queue_bulk(messages: list[Message], *, now: datetime.datetime) -> int:
    """Write many messages (one per buyer of a PO) in the current transaction; keys already there are kept.

    The sweep is nudged once after COMMIT instead of one task per message.
    """
    for message in messages:
        if message.kind not in RENDERERS:
            raise ValueError(f"No renderer for message kind {message.kind!r}.")
        message.status = Message.Status.PENDING if message.to_email else Message.Status.NO_EMAIL
        message.next_attempt_at = timezone.now()
        message.created_at = now
    Message.objects.bulk_create(messages, ignore_conflicts=True, batch_size=1000)
    if messages:
        transaction.on_commit(outbox_nudge)
    return len(messages)


# After a failed nudge this process leaves the broker alone for a while: each try
# costs the request the broker's connection timeout, and the sweep delivers anyway.
BROKER_BACKOFF_SECONDS = 30.0
_broker_down_until = 0.0

# One sweep waiting in the queue delivers every message written before it starts,
# so a message written meanwhile does not queue another: the nudge marks the cache
# and the sweep clears the mark first thing. It starts a moment after the first
# nudge, so that in a rush one sweep takes the messages of many orders (a task
# costs the worker more than rendering and sending one e-mail). A mark whose sweep
# never ran (a worker killed with it) lapses after NUDGE_SECONDS; beat's sweep
# runs every minute anyway.
NUDGE_KEY = "outbox:sweep-queued"
# The sweep task, found by name in the Celery app's registry (orders.apps imports orders.tasks at start):
# orders.tasks imports this module, so importing it here would make the two import each other.
SWEEP_TASK = "orders.tasks.messages_deliver_due_task"
NUDGE_DELAY_SECONDS = 1
NUDGE_SECONDS = 10
# The mark holds when its sweep starts at the earliest (time.time()). Until then, less a margin for the
# clocks of the process and the worker, a process that read it (or queued that sweep) knows the sweep still
# waits, and its nudges skip even asking the cache.
SWEEP_CLOCK_MARGIN_SECONDS = NUDGE_DELAY_SECONDS / 2
_sweep_waits_until = 0.0


def outbox_nudge() -> None:
    """Ask the worker to deliver what is due now, once for every message written until its sweep starts.

    A broker outage must not reach the buyer: beat's sweep catches up. It runs after COMMIT, on the buyer's
    request: each call to a Redis that hangs costs it REDIS_TIMEOUT_SECONDS, so after one such call the
    process leaves Redis alone for a while (preorder_shop.client.cache_down).
    """
    global _broker_down_until, _sweep_waits_until
    now = time.monotonic()
    if now < _broker_down_until or now < _sweep_waits_until:
        return
    if cache_down():
        # The cache and the broker are one Redis (REDIS_URL): a publish would wait for nothing as long.
        return
    starts_at = time.time() + NUDGE_DELAY_SECONDS
    try:
        queued = cache.get(NUDGE_KEY)
        if queued is not None or not cache.add(NUDGE_KEY, starts_at, NUDGE_SECONDS):
            # A sweep is queued and has not started: it takes this message too...
            if isinstance(queued, float):
                # ...and every one this process writes until it may start (never longer than a sweep waits,
                # whatever the clock of the process that queued it said).
                waits = min(queued - time.time(), NUDGE_DELAY_SECONDS) - SWEEP_CLOCK_MARGIN_SECONDS
                _sweep_waits_until = now + waits
            return
    except CACHE_DOWN_ERRORS:
        # Unreachable or hanging, and the broker is the same Redis: the sweep sends the message.
        cache_down_note()
        logger.warning("Could not mark the sweep as queued: the cache is unreachable; beat will run it.", exc_info=True)
        return
    except Exception:  # noqa: BLE001 - a cache that answers wrongly: every message nudges, as before
        logger.warning("Could not mark the sweep as queued; nudging anyway.", exc_info=True)
    # Before queuing: a sweep run at once (tasks run eagerly) clears it again as it starts.
    _sweep_waits_until = now + NUDGE_DELAY_SECONDS - SWEEP_CLOCK_MARGIN_SECONDS
    try:
        current_app.tasks[SWEEP_TASK].apply_async(kwargs={"nudged": True}, countdown=NUDGE_DELAY_SECONDS, retry=False)
    except Exception:  # noqa: BLE001 - any broker failure is the sweep's to repair
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        outbox_nudge_clear()
        logger.warning("Could not enqueue the message sweep; beat will run it.", exc_info=True)


def outbox_nudge_clear() -> None:
    global _sweep_waits_until
    _sweep_waits_until = 0.0
    if cache_down():
        return  # the mark lapses on its own
    try:
        cache.delete(NUDGE_KEY)
    except CACHE_DOWN_ERRORS:
        cache_down_note()
        logger.warning("Could not clear the sweep's mark; it lapses in %d s.", NUDGE_SECONDS, exc_info=True)
    except Exception:  # noqa: BLE001 - the mark lapses on its own
        logger.warning("Could not clear the sweep's mark; it lapses in %d s.", NUDGE_SECONDS, exc_info=True)


def message_render(message: Message) -> tuple[str, str]:
    return RENDERERS[message.kind](message)


def _rendered(message: Message) -> dict:
    """Render the subject and body unless stored; returns the fields to store with the outcome."""
    if message.subject or message.body:
        return {}
    subject, body = message_render(message)
    message.subject, message.body = subject[:300], body
    return {"subject": message.subject, "body": message.body}


def _failure_record(message: Message, error: Exception, now: datetime.datetime, rendered: dict) -> str:
    attempts = message.attempts + 1
    failed = attempts >= MAX_ATTEMPTS
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.FAILED if failed else Message.Status.PENDING,
        attempts=attempts,
        last_error=f"{type(error).__name__}: {error}"[:2000],
        next_attempt_at=now + retry_delay(attempts),
        claimed_at=None,
        claim_token="",
        **rendered,
    )
    logger.warning("Message %s failed (attempt %d): %s", message.key, attempts, error)
    return "failed" if failed else "retry"


def _sent_record(message: Message, now: datetime.datetime, rendered: dict) -> None:
    """Mark it sent; the e-mail is out, so a database that drops now is waited for, not sent to again."""
    for attempt in range(10):
        try:
            Message.objects.filter(pk=message.pk).update(
                status=Message.Status.SENT,
                sent_at=now,
                attempts=message.attempts + 1,
                last_error="",
                claimed_at=None,
                claim_token="",
                **rendered,
            )
            return
        except DatabaseError:
            if transaction.get_connection().in_atomic_block:
                raise
            logger.warning("Could not mark message %s sent; trying again.", message.key, exc_info=True)
            connection.close()
            time.sleep(min(2**attempt, 15))
    logger.error("Message %s was sent but could not be marked; it may be sent again.", message.key)


def _claimed_deliver(message: Message, now: datetime.datetime) -> str:
    """Send a message this worker has claimed: "sent", "retry" or "failed".

    A database error before the e-mail goes out propagates, so the task is retried
    and takes its own claim again.
    """
    rendered = {}
    try:
        rendered = _rendered(message)
        recipients = [address.strip() for address in message.to_email.split(",") if address.strip()]
        send_mail(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, recipients)
    except DatabaseError:
        raise
    except Exception as error:  # noqa: BLE001 - mail server down, a bad template: recorded and retried to the cap
        return _failure_record(message, error, now, rendered)
    _sent_record(message, now, rendered)
    return "sent"


def message_deliver(*, message_id: int, now: datetime.datetime, claim_token: str = "") -> str:
    """Send one message by e-mail, once: "sent", "retry", "failed" or "skipped" (not due or not ours).

    A database error before the e-mail goes out propagates, so the task is retried
    with the same `claim_token` (its Celery id) and takes its own claim again.
    """
    token = claim_token or uuid.uuid4().hex
    claimed = (
        Message.objects.filter(pk=message_id)
        .filter(
            Q(status=Message.Status.PENDING, next_attempt_at__lte=now)
            | Q(status=Message.Status.SENDING, claim_token=token)
        )
        .update(status=Message.Status.SENDING, claimed_at=now, claim_token=token)
    )
    if not claimed:
        return "skipped"
    return _claimed_deliver(Message.objects.select_related("order").get(pk=message_id), now)


def messages_deliver_due(
    *,
    now: datetime.datetime,
    batch: int = 50,
    budget_seconds: float = 50.0,
    claim_token: str = "",
    release_stale: bool = True,
) -> int:
    """The sweep: deliver what is due (just written, or waiting for a retry) and free stale claims.

    Claims up to `batch` messages in one statement and reads them, with their
    orders and lines, in two more; then sends them one by one, each marked as
    it goes out. Goes on until nothing is due or its time budget is spent; the
    next run goes on, and the claims keep two sweeps from sending one message
    twice. A sweep nudged by a checkout leaves the stale claims to beat's.
    """
    if release_stale:
        Message.objects.filter(status=Message.Status.SENDING, claimed_at__lt=now - STALE_CLAIM).update(
            status=Message.Status.PENDING, claimed_at=None, claim_token=""
        )
    # One token per sweep and message: a sweep retried after a database error takes its claims again.
    prefix = f"{claim_token or uuid.uuid4().hex}:"
    takeable = Q(status=Message.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Message.Status.SENDING, claim_token__startswith=prefix
    )
    until = time.monotonic() + budget_seconds
    shared = _sweep_shared.set({})  # what the messages' texts share (the bank accounts) is read once
    try:
        return _batches_deliver(takeable, prefix, now, batch, until)
    finally:
        _sweep_shared.reset(shared)


def _batches_deliver(takeable: Q, prefix: str, now: datetime.datetime, batch: int, until: float) -> int:
    sent, last_pk = 0, 0
    while time.monotonic() < until:
        due = Message.objects.filter(takeable, pk__gt=last_pk).order_by("pk").values("pk")[:batch]
        claimed = Message.objects.filter(takeable, pk__in=Subquery(due)).update(
            status=Message.Status.SENDING,
            claimed_at=now,
            claim_token=Concat(Value(prefix), Cast("pk", CharField())),
        )
        mine = list(
            Message.objects.filter(pk__gt=last_pk, status=Message.Status.SENDING, claim_token__startswith=prefix)
            .select_related("order__campaign")
            .prefetch_related("order__lines")
            .order_by("pk")
        )
        for message in mine:
            sent += _claimed_deliver(message, now) == "sent"
        if claimed < batch or not mine:
            break  # nothing more was due when this batch was claimed
        last_pk = mine[-1].pk
    return sent


def message_retry(*, message: Message, now: datetime.datetime) -> bool:
    """The seller sends a failed message again; False when it was not failed."""
    updated = Message.objects.filter(pk=message.pk, status=Message.Status.FAILED).update(
        status=Message.Status.PENDING, attempts=0, next_attempt_at=now, last_error=""
    )
    if updated:
        transaction.on_commit(outbox_nudge)
    return bool(updated)


def message_whatsapp_mark_sent(*, message: Message, actor, now: datetime.datetime) -> bool:
    """The seller sent it by hand on WhatsApp; marked once, so nobody sends it twice."""
    return bool(
        Message.objects.filter(pk=message.pk, whatsapp_sent_at__isnull=True).update(
            whatsapp_sent_at=now, whatsapp_sent_by=actor
        )
    )


def message_whatsapp_url(message: Message) -> str:
    """wa.me link with the message prefilled (rendered now if the worker has not yet)."""
    if not message.subject and not message.body:
        message.subject, message.body = message_render(message)
    text = f"{message.subject}\n\n{message.body}".strip()
    return f"https://wa.me/{message.to_phone.lstrip('+')}?{urlencode({'text': text})}"


def outbox_backlog(*, now: datetime.datetime | None = None) -> dict:
    """How many messages wait to be sent (or failed) and how old the oldest waiting one is."""
    now = now or timezone.now()
    waiting = Message.objects.filter(status__in=Message.WAITING_STATUSES)
    oldest = waiting.order_by("created_at").values_list("created_at", flat=True).first()
    return {
        "waiting": waiting.count(),
        "failed": Message.objects.filter(status=Message.Status.FAILED).count(),
        "oldest_age": (now - oldest) if oldest else None,
    }
