"""When the sweeper asks Amazon again about an authorization it is waiting for.

Amazon answers a pending authorization by notification; polling is the safety net, with
backoff and a stop (Amazon decides every authorization within 24 hours). A document before its
timeout is looked at once, then each time its age has doubled since the last look; one past
its timeout and marked overdue, every quarter of its age (at most hourly) until a little after
Amazon's 24 hours.
"""

from __future__ import annotations

from datetime import datetime, timedelta

# Amazon decides every authorization within 24 hours; after that polling is pointless.
AMAZON_DECISION_LIMIT = timedelta(hours=24)


def pending_poll_due(now: datetime, created: datetime, last_poll: datetime | None) -> bool:
    """A pending document before its timeout (about 4 looks in 15 minutes, a sweep every 2)."""
    return last_poll is None or now - last_poll >= (now - created) / 2


def overdue_poll_due(now: datetime, created: datetime, last_poll: datetime | None) -> bool:
    """An overdue document: a quarter of its age between looks, at most an hour, until an hour
    past Amazon's 24-hour limit."""
    age = now - created
    if age > AMAZON_DECISION_LIMIT + timedelta(hours=1):
        return False
    return last_poll is None or now - last_poll >= min(age / 4, timedelta(hours=1))
