"""Who paces the client: one small interface, three kinds of limiter behind it.

Amazon's quotas are per merchant account, so every process calling Amazon for one account must
draw from the same bucket. The client only calls `Limiter.acquire(operation)` before each
attempt and does not care which of these it holds:

- `Throttle` (throttle.py): token buckets inside this process. The fallback when no Prefect API
  is configured (`PREFECT_API_URL` unset): one process, one account.
- `PrefectRateLimit`: a Prefect global concurrency limit per operation, used as a rate limit
  (`rate_limit(name, occupy=1, strict=True)`; limit = the burst, slot decay = 95 % of the
  restore rate). Shared by every process on that Prefect server and shown on its Concurrency page;
  `amazon-payments limits apply` creates them. A missing limit is an error, not a free pass.
- `RedisTokenBucket`: the same bucket (95 % of the rate) kept in Redis and taken in one atomic
  script call; callers reserve a token and sleep their own deficit, so nobody polls.

`AMAZON_PAY_LIMITER` picks one. `auto` takes Redis when `AMAZON_PAY_REDIS_URL` is set, else
Prefect's limits when `PREFECT_API_URL` is set, else the local buckets. Redis comes first because
it was measured to pace better (bench/limiter.py, 3 processes x 4 threads on one Capture Charge
quota against a PostgreSQL-backed Prefect server on this 2-core machine): Prefect's `rate_limit`
took 17 ms a call and granted 2.93 slots/s of the 3.80/s it may (77 %: the server decays whole
slots since the limit's last update, and every denied request is an update that discards the
decay accrued so far), Redis 0.1 ms and 3.80/s (100 %).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol, cast

from adapters.amazon_pay.clock import Clock
from adapters.amazon_pay.errors import ConfigurationError
from adapters.amazon_pay.throttle import HEADROOM, UNLISTED_QUOTA, Operation, Quota, Throttle

LimiterKind = Literal["auto", "local", "prefect", "redis"]
LIMIT_PREFIX = "amazon-pay"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


class Limiter(Protocol):
    """Paces calls to Amazon: blocks until the operation may be called once more."""

    def acquire(self, operation: str) -> None:
        """Wait for one slot of the operation's quota and take it."""
        ...


def limit_name(operation: str) -> str:
    """The shared limit of an operation: `Capture Charge` -> `amazon-pay-capture-charge`."""
    return f"{LIMIT_PREFIX}-{re.sub(r'[^a-z0-9]+', '-', operation.lower()).strip('-')}"


@dataclass(frozen=True)
class LimitSpec:
    """One shared limit: its name, burst (the limit) and slots restored per second."""

    name: str
    operation: str
    limit: int
    slot_decay_per_second: float


def limit_specs(quotas: Mapping[str, Quota], headroom: float = HEADROOM) -> list[LimitSpec]:
    """One limit per operation the client calls, at `headroom` x the quota's rate."""
    specs = []
    for operation in Operation:
        quota = quotas.get(operation, UNLISTED_QUOTA)
        rate = round(quota.per_second * headroom, 6)
        specs.append(LimitSpec(limit_name(operation), operation, quota.burst, rate))
    return specs


class PrefectRateLimit:
    """Slots of Prefect global concurrency limits, one per operation, strict."""

    def acquire(self, operation: str) -> None:
        """Take a slot of the operation's limit (Prefect waits on 423 Retry-After)."""
        from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError
        from prefect.concurrency.sync import rate_limit

        name = limit_name(operation)
        try:
            rate_limit(name, occupy=1, strict=True)
        except ConcurrencySlotAcquisitionError as problem:
            missing = "must be created" in str(problem)
            detail = "does not exist" if missing else f"could not be taken ({problem})"
            raise ConfigurationError(
                f"Prefect global concurrency limit {name!r} for {operation} {detail} on "
                f"{os.environ.get('PREFECT_API_URL', 'the configured Prefect API')}; "
                "create the limits with: amazon-payments limits apply"
            ) from None


# KEYS[1]: the bucket. ARGV: burst, rate per second. Redis's own clock, so every process agrees.
# Reserve a token even when none is left (the count goes negative, down to the queue's depth)
# and answer how long the caller waits before using it: one round trip, no polling.
_RESERVE = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1]) or burst
local stamp = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - stamp) * rate) - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + 60)
if tokens >= 0 then return '0' end
return tostring(-tokens / rate)
"""


class RedisTokenBucket:
    """Token buckets per operation kept in Redis, shared by every process using that Redis."""

    def __init__(
        self,
        quotas: Mapping[str, Quota],
        clock: Clock,
        url: str = DEFAULT_REDIS_URL,
        headroom: float = HEADROOM,
        key_prefix: str = "",
    ) -> None:
        import redis

        self._prefix = key_prefix
        self._quotas = dict(quotas)
        self._headroom = headroom
        self._clock = clock
        self._redis = redis.Redis.from_url(url, socket_timeout=5)
        self._reserve = self._redis.register_script(_RESERVE)

    def acquire(self, operation: str) -> None:
        """Reserve a token of the operation's bucket and sleep until it is due."""
        import redis

        quota = self._quotas.get(operation, UNLISTED_QUOTA)
        args = [quota.burst, quota.per_second * self._headroom]
        try:
            key = self._prefix + limit_name(operation)
            wait = float(cast(bytes, self._reserve(keys=[key], args=args)))
        except redis.RedisError as problem:
            raise ConfigurationError(f"Redis limiter unavailable: {problem}") from None
        self._clock.sleep(wait)


def choose_limiter(
    kind: LimiterKind, quotas: Mapping[str, Quota], clock: Clock, redis_url: str | None = None
) -> Limiter:
    """The limiter of a kind; `auto`: Redis if a URL is given, Prefect if PREFECT_API_URL is set,
    else local buckets."""
    if kind == "auto":
        kind = "redis" if redis_url else "prefect" if os.environ.get("PREFECT_API_URL") else "local"
    if kind == "prefect":
        return PrefectRateLimit()
    if kind == "redis":
        return RedisTokenBucket(quotas, clock, redis_url or DEFAULT_REDIS_URL)
    if kind == "local":
        return Throttle(quotas, clock)
    raise ConfigurationError(f"limiter must be auto, local, prefect or redis, got {kind!r}")
