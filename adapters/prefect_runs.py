"""Suspended flow runs, seen and moved from outside: read, resume, end, retry.

The order use cases keep the id of a suspended `authorize` run as data; whoever learns Amazon's
answer (the notification receiver, the sweeper, a manual action) uses this adapter to resume
that run with the answer as its `run_input`, to end it `Completed(name="Overdue")` at the
timeout without starting a process, or to retry it when it crashed after resuming (Prefect does
not retry Crashed runs). Prefect is imported at first use, like `adapters.events`.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from typing import Protocol
from uuid import UUID


class RunPhase(StrEnum):
    """Where a flow run is, as the release of a wait needs to know it."""

    WAITING = "waiting"  # Paused / Suspended: resume or end it
    GOING = "going"  # scheduled, pending, running: it is on its way to its end
    ENDED = "ended"  # completed or failed by its own code (or ended by us)
    CRASHED = "crashed"  # the process died (Crashed), or it was cancelled
    MISSING = "missing"  # the server does not know the run


class FlowRuns(Protocol):
    """What the use cases may do to a flow run, by its id."""

    def phase(self, run_id: str) -> RunPhase: ...

    def resume(self, run_id: str, answer: dict[str, str]) -> bool:
        """Resume a waiting run with `answer` as its input; False when it was not waiting."""
        ...

    def end(self, run_id: str, name: str, message: str) -> None:
        """End the run Completed with this name, without running it."""
        ...

    def retry(self, run_id: str) -> None:
        """Schedule the run again (AwaitingRetry), as the UI's Retry does."""
        ...


class PrefectRuns:
    """`FlowRuns` on the Prefect API the process is configured for."""

    def phase(self, run_id: str) -> RunPhase:
        from prefect import get_client
        from prefect.exceptions import ObjectNotFound
        from prefect.states import StateType

        with get_client(sync_client=True) as client:
            try:
                run = client.read_flow_run(UUID(run_id))
            except ObjectNotFound:
                return RunPhase.MISSING
        kind = run.state.type if run.state else None
        if kind is StateType.PAUSED:
            return RunPhase.WAITING
        if kind in (StateType.COMPLETED, StateType.FAILED):
            return RunPhase.ENDED
        if kind in (StateType.CRASHED, StateType.CANCELLED):
            return RunPhase.CRASHED
        return RunPhase.GOING

    def resume(self, run_id: str, answer: dict[str, str]) -> bool:
        from prefect.exceptions import FlowPauseTimeout, NotPausedError
        from prefect.flow_runs import resume_flow_run

        try:
            resume_flow_run(UUID(run_id), run_input=answer)
        except (NotPausedError, FlowPauseTimeout):
            return False
        return True

    def end(self, run_id: str, name: str, message: str) -> None:
        from prefect import get_client
        from prefect.states import Completed

        with get_client(sync_client=True) as client:
            client.set_flow_run_state(UUID(run_id), Completed(name=name, message=message), True)

    def retry(self, run_id: str) -> None:
        from prefect import get_client
        from prefect.states import AwaitingRetry

        with get_client(sync_client=True) as client:
            retry = AwaitingRetry(message="the run crashed after its document was decided")  # type: ignore[var-annotated]
            client.set_flow_run_state(UUID(run_id), retry, True)


def prefect_runs() -> FlowRuns | None:
    """Prefect's flow runs where a Prefect API is configured or inside a flow run, else None."""
    if os.environ.get("PREFECT_API_URL") or _in_flow_run():
        return PrefectRuns()
    return None


def _in_flow_run() -> bool:
    if "prefect" not in sys.modules:
        return False
    from prefect.context import FlowRunContext

    return FlowRunContext.get() is not None
