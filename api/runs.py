"""Starting the flow run that does a recorded request's Amazon work, when Prefect is there.

Without a Prefect API (or when it does not answer) nothing is lost: the `sync` sweeper picks
the request up from the store.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("amazon_payments.api")

# deployment name -> its parameter, as prefect.yaml declares them
PARAMETERS = {
    "authorize": "number",
    "activate": "number",
    "refund": "credit_note",
    "cancel": "number",
}

RunStarter = Callable[[str, str], None]


def no_runs(deployment: str, number: str) -> None:
    """No Prefect API configured: the sweeper does the work."""


def prefect_runs(deployment: str, number: str) -> None:
    """Start `<deployment>-<number>` in the background; a failure is logged, not raised."""
    threading.Thread(target=_start, args=(deployment, number), daemon=True).start()


def _start(deployment: str, number: str) -> None:
    from prefect.deployments import run_deployment

    try:
        run_deployment(
            f"{deployment}/{deployment}",
            parameters={PARAMETERS[deployment]: number},
            flow_run_name=f"{deployment}-{number}",
            idempotency_key=f"{deployment}-{number}",  # one run per request, also on restarts
            timeout=0,
        )
    except Exception as problem:  # noqa: BLE001 - the sweeper still does the work
        log.warning("could not start %s-%s: %s", deployment, number, type(problem).__name__)


def prefect_configured() -> bool:
    """Whether a Prefect API URL is configured (environment or profile)."""
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())
