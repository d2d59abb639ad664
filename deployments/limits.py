"""Amazon's quotas as Prefect global concurrency limits, applied idempotently to a server.

One limit per Amazon operation (`amazon-pay-capture-charge`, ...), used as a rate limit by every
process of the merchant account (adapters/amazon_pay/limiter.py): limit = the quota's burst,
slot decay = 95 % of its restore rate. `make run`, `make cluster` and
`amazon-payments limits apply` create them; applying again updates a limit whose values changed
and leaves the others alone. They show on the UI's Concurrency page.
"""

from __future__ import annotations

from typing import Literal

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import (
    GlobalConcurrencyLimitCreate,
    GlobalConcurrencyLimitUpdate,
)
from prefect.exceptions import ObjectNotFound

from adapters.amazon_pay.endpoints import resolve_endpoint
from adapters.amazon_pay.limiter import LimitSpec, limit_specs
from adapters.amazon_pay.throttle import LIVE_QUOTAS, SANDBOX_QUOTAS, QuotaSet
from adapters.settings import AmazonPaySettings

Applied = Literal["created", "updated", "unchanged"]


def quota_set_of(settings: AmazonPaySettings) -> QuotaSet:
    """The quota table the client uses: AMAZON_PAY_QUOTAS, or the key's environment."""
    if settings.quotas != "auto":
        return settings.quotas
    endpoint = resolve_endpoint(settings.public_key_id, settings.region, settings.sandbox)
    return endpoint.environment


def specs(quota_set: QuotaSet) -> list[LimitSpec]:
    """The limits of a quota table."""
    return limit_specs(LIVE_QUOTAS if quota_set == "live" else SANDBOX_QUOTAS)


def apply(quota_set: QuotaSet) -> list[tuple[LimitSpec, Applied]]:
    """Create or update every limit on the server of PREFECT_API_URL."""
    done: list[tuple[LimitSpec, Applied]] = []
    with get_client(sync_client=True) as client:
        for spec in specs(quota_set):
            try:
                found = client.read_global_concurrency_limit_by_name(spec.name)
            except ObjectNotFound:
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(
                        name=spec.name,
                        limit=spec.limit,
                        slot_decay_per_second=spec.slot_decay_per_second,
                    )
                )
                done.append((spec, "created"))
                continue
            same = (
                found.limit == spec.limit
                and found.slot_decay_per_second == spec.slot_decay_per_second
                and found.active
            )
            if not same:
                client.update_global_concurrency_limit(
                    spec.name,
                    GlobalConcurrencyLimitUpdate(
                        limit=spec.limit,
                        slot_decay_per_second=spec.slot_decay_per_second,
                        active=True,
                    ),
                )
            done.append((spec, "unchanged" if same else "updated"))
    return done
