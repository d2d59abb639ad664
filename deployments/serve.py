"""Serve every deployment of the module from one process, without a worker."""

from __future__ import annotations

from prefect import serve
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from flows.orders import (
    activate,
    activate_batch,
    authorize,
    authorize_batch,
    cancel,
    cancel_batch,
    refund,
    refund_batch,
)
from flows.settlement import backfill_settlements, reconcile_settlements
from flows.sync import sync

SWEEP_SECONDS = 120
SETTLEMENT_CRON = "30 6 * * *"  # daily 06:30 business time, after Amazon's overnight reports


def deployments() -> list[RunnerDeployment]:
    """The module's deployments, the same as prefect.yaml's (a test keeps the two in step)."""
    return [
        sync.to_deployment(name="sync", interval=SWEEP_SECONDS, concurrency_limit=1),
        authorize.to_deployment(name="authorize"),
        activate.to_deployment(name="activate"),
        authorize_batch.to_deployment(name="authorize-batch"),
        activate_batch.to_deployment(name="activate-batch"),
        refund_batch.to_deployment(name="refund-batch"),
        cancel_batch.to_deployment(name="cancel-batch"),
        refund.to_deployment(name="refund"),
        cancel.to_deployment(name="cancel"),
        reconcile_settlements.to_deployment(
            name="reconcile-settlements",
            schedules=[Cron(SETTLEMENT_CRON, timezone="Europe/Berlin")],
            concurrency_limit=1,
        ),
        backfill_settlements.to_deployment(name="backfill-settlements"),
    ]


def main() -> None:
    serve(*deployments())


if __name__ == "__main__":
    main()
