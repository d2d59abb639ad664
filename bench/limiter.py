"""Benchmark: the shared limiters themselves, Prefect's rate_limit against a Redis token bucket.

Two figures per limiter:
- latency: one acquire on a limit that never makes anyone wait (burst 1,000,000), the cost every
  Amazon call pays on top of its own round trip;
- pacing: PROCESSES processes of THREADS threads each acquire Capture Charge slots (live quota:
  burst 20, 4/s, paced at 95 % = 3.8/s) for SECONDS; the slots taken per second after the burst,
  as a share of the 3.8/s they may take.

Needs PREFECT_API_URL (a running Prefect server) and Redis at AMAZON_PAY_REDIS_URL
(default redis://127.0.0.1:6379/0). Run: .venv/bin/python -m bench.limiter [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import threading
import time
import uuid
from typing import Any

from adapters.amazon_pay.clock import SystemClock
from adapters.amazon_pay.limiter import (
    DEFAULT_REDIS_URL,
    PrefectRateLimit,
    RedisTokenBucket,
    limit_name,
)
from adapters.amazon_pay.throttle import HEADROOM, Quota

BURST, RATE = 20, 4.0
PACED = RATE * HEADROOM


def prefect_limit(operation: str, burst: int, rate: float) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    with get_client(sync_client=True) as client:
        client.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(
                name=limit_name(operation), limit=burst, slot_decay_per_second=rate
            )
        )


def drop_prefect_limit(operation: str) -> None:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        client.delete_global_concurrency_limit_by_name(limit_name(operation))


def make(kind: str, operation: str, quota: Quota) -> Any:
    if kind == "prefect":
        return PrefectRateLimit()
    return RedisTokenBucket({operation: quota}, SystemClock(), DEFAULT_REDIS_URL, headroom=HEADROOM)


def latency(kind: str, calls: int = 50) -> dict[str, float]:
    operation = f"bench-latency-{uuid.uuid4().hex[:8]}"
    if kind == "prefect":
        prefect_limit(operation, 1_000_000, 1000.0)
    limiter = make(kind, operation, Quota(1_000_000, 1000.0))
    limiter.acquire(operation)  # connection set up
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        limiter.acquire(operation)
        times.append(time.perf_counter() - started)
    if kind == "prefect":
        drop_prefect_limit(operation)
    return {"median_ms": statistics.median(times) * 1000, "p95_ms": sorted(times)[-3] * 1000}


def _worker(kind: str, operation: str, threads: int, seconds: float, out: Any) -> None:
    limiter = make(kind, operation, Quota(BURST, RATE))
    stamps: list[float] = []
    deadline = time.time() + seconds

    def loop() -> None:
        while time.time() < deadline:
            limiter.acquire(operation)
            if (now := time.time()) < deadline:  # a slot granted after the window is not counted
                stamps.append(now)

    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.put(stamps)


def pacing(kind: str, processes: int, threads: int, seconds: float) -> dict[str, float]:
    operation = f"bench-pacing-{uuid.uuid4().hex[:8]}"
    if kind == "prefect":
        prefect_limit(operation, BURST, round(PACED, 6))
    out: Any = multiprocessing.get_context("spawn").Queue()
    procs = [
        multiprocessing.get_context("spawn").Process(
            target=_worker, args=(kind, operation, threads, seconds, out)
        )
        for _ in range(processes)
    ]
    for proc in procs:
        proc.start()
    stamps = sorted(s for _ in procs for s in out.get())
    for proc in procs:
        proc.join()
    if kind == "prefect":
        drop_prefect_limit(operation)
    span = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
    rate = (len(stamps) - BURST) / span if span else 0.0
    per_5s = [0] * (int(span // 5) + 1)
    for stamp in stamps:
        per_5s[int((stamp - stamps[0]) // 5)] += 1
    return {"slots": len(stamps), "seconds": span, "rate": rate, "share": rate / PACED,
            "per_5s": per_5s}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    for kind in ("prefect", "redis"):
        results[kind] = {
            "latency": latency(kind),
            "pacing": pacing(kind, args.processes, args.threads, args.seconds),
        }
        lat, pace = results[kind]["latency"], results[kind]["pacing"]
        print(
            f"{kind:<8} acquire {lat['median_ms']:.1f} ms median ({lat['p95_ms']:.1f} ms p95) | "
            f"{args.processes}x{args.threads} callers: {pace['rate']:.2f}/s after the burst = "
            f"{pace['share']:.1%} of {PACED:.2f}/s; slots per 5 s: {pace['per_5s']}",
            flush=True,
        )
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
