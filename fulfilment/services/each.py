"""How the jobs step through POs: each in a transaction of its own, its row locked, the rule read again."""

from collections.abc import Callable, Iterable

from django.db import transaction

from campaigns.models import Campaign
from orders.locks import rows_lock


def campaigns_step_each(campaign_ids: Iterable[int], step: Callable[[Campaign], bool]) -> int:
    """Run `step` on each campaign, locked, in its own transaction; how many it took the step for.

    The ids were read without a lock: `step` checks again, under the lock, that the campaign still
    qualifies (returning False when not), so that a job run twice or at once acts once.
    """
    done = 0
    for campaign_id in list(campaign_ids):
        with transaction.atomic():
            if step(rows_lock(campaign_ids=[campaign_id]).campaign):
                done += 1
    return done
