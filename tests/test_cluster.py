"""The module on the real engine: a PostgreSQL-backed Prefect server, a process pool and two
workers activate 100 documents in two concurrent runs against the sandbox's live quotas."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

pytestmark = pytest.mark.slow


def postgres_or_skip() -> None:
    from deployments.cluster import POSTGRES

    engine = create_engine(f"postgresql+psycopg://{POSTGRES}/postgres")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError:
        pytest.skip(f"no PostgreSQL at {POSTGRES}")
    finally:
        engine.dispose()


def test_two_workers_activate_100_documents_once_each_within_the_accounts_quota(tmp_path: Path):
    import redis

    from bench.cluster import run_once

    postgres_or_skip()
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_timeout=2).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    saved = dict(os.environ)  # the run points this process at its sandbox and store
    try:
        result = run_once(
            tmp_path, workers=2, documents=100, limiter="redis", prefix="T",
            name=f"test_{uuid.uuid4().hex[:8]}",
        )  # fmt: skip
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert result["runs"] == ["Completed", "Completed"], result
    assert result["activated"] == 100, result
    assert result["duplicates"] == 0, result
    assert result["throttled_share"] <= 0.01, result
    # Split over both: each worker took one of the two runs.
    taken = result["runs_by_worker"]
    assert sorted(len(ids) for ids in taken.values()) == [1, 1], result


def test_a_run_another_worker_took_first_is_not_counted_as_taken():
    from bench.cluster import runs_taken

    log = (
        "12:00:01.100 | INFO | prefect.flow_runs.worker - Worker 'w-1' submitting flow run 'a'\n"
        "12:00:01.200 | INFO | prefect.flow_runs.worker - Worker 'w-1' submitting flow run 'b'\n"
        "12:00:01.300 | INFO | prefect.flow_runs.worker - Aborted submission of flow run 'b'. "
        "Server sent an abort signal: This run is in a PENDING state and cannot transition\n"
    )
    assert runs_taken(log, {"a", "b", "c"}) == ["a"]
