"""A process that posts one report at a given moment (spawned by the concurrency tests)."""

from __future__ import annotations

from multiprocessing.synchronize import Barrier

from adapters.erp.store import make_engine
from domain.settlement.states import ReportSource
from tests.posting.builders import ACCOUNTS, post_report, verdict


def post_when_released(url: str, report_bytes: bytes, barrier: Barrier, name: str) -> str:
    """Parse the report, wait for the other racer, post; returns the status."""
    import pickle

    report = pickle.loads(report_bytes)  # noqa: S301 - built by the test itself
    engine = make_engine(url)
    try:
        barrier.wait(timeout=60)
        return post_report(engine, report, verdict(), ACCOUNTS, ReportSource(name)).status.value
    finally:
        engine.dispose()
