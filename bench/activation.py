"""Benchmark: activation of accepted documents against the sandbox with Amazon's live quotas.

Capture Charge is limited to a burst of 20 and 4 per second. The activate-batch flow works
through the documents in chunk tasks; the client's token bucket paces the captures. Reported:
the sustained capture rate as a share of the quota and the share of capture requests answered
429. The baseline in the same run is the same batch without client-side pacing (fewer documents,
it only collects 429s and retries).

Run: .venv/bin/python -m bench.activation [--documents 2000] [--baseline 200]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

CAPTURE_BURST, CAPTURE_RATE = 20, 4.0
KEY_ID = "SANDBOX-BENCHKEY0000000000001"


def admin(base_url: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = httpx.request(method, f"{base_url}/_admin{path}", json=body, timeout=60)
    response.raise_for_status()
    return response.json()


def start(stack: ExitStack) -> str:
    """The sandbox on loopback, without quotas while the documents are prepared."""
    from sandbox.config import SandboxConfig
    from sandbox.keys import throwaway_key_pair
    from sandbox.server import run_in_thread

    private, public = throwaway_key_pair()
    config = SandboxConfig(admin=True, public_keys={KEY_ID: public}, quotas="off")
    base_url = stack.enter_context(run_in_thread(config))
    os.environ.update(
        {
            "AMAZON_PAY_PUBLIC_KEY_ID": KEY_ID,
            "AMAZON_PAY_PRIVATE_KEY": private.decode(),
            "AMAZON_PAY_BASE_URL": base_url,
            "PREFECT_LOGGING_LEVEL": "WARNING",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
        }
    )
    # The flows start Prefect's temporary server: 20 s of start-up wait are too few when busy.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    return base_url


def unpaced_client() -> Any:
    """A client without the token bucket, retrying 429s with backoff like an SDK does."""
    from adapters.amazon_pay import AmazonPayClient, RetryPolicy
    from adapters.settings import AmazonPaySettings

    retry = RetryPolicy(max_attempts=12, base_delay=0.25, max_delay=8)
    return AmazonPayClient.from_settings(AmazonPaySettings(), throttle=False, retry=retry)


def bench_resources() -> Any:
    """The store and settings from the environment, with the unpaced client."""
    from adapters.erp.store import make_engine
    from adapters.settings import ModuleSettings
    from services.resources import Resources

    settings = ModuleSettings()
    return Resources(make_engine(settings.database_url), unpaced_client(), settings)


def prepare(
    base_url: str, folder: Path, count: int, prefix: str, database_url: str | None = None
) -> list[str]:
    """`count` accepted documents with a shipment requested, in a fresh store (a SQLite file in
    `folder` unless `database_url` is given)."""
    from adapters.erp.migrate import upgrade
    from domain.documents import Customer, Document, DocumentType, Item
    from domain.money import Money
    from domain.payment_status import Event
    from services import authorization
    from services.applying import apply_event
    from tasks.orders import run_chunk

    os.environ["AMAZON_PAYMENTS_DATABASE_URL"] = (
        database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    )
    os.environ["AMAZON_PAY_QUOTAS"] = "live"
    res = bench_resources()  # preparing is not what is measured
    upgrade(res.engine)
    # Idempotency keys derive from document numbers and Amazon keeps them forever: every run
    # of this benchmark needs numbers of its own.
    numbers = [f"{prefix}{n:06d}" for n in range(count)]
    with res.uow() as uow:
        for number in numbers:
            permission = admin(
                base_url, "POST", "/checkouts", {"amount": "24.90", "currencyCode": "EUR"}
            )
            uow.documents.add(
                Document(
                    number=number,
                    doc_type=DocumentType.ORDER,
                    currency="EUR",
                    items=[Item("TASSE", "Tasse", 2, Money("10.00", "EUR"))],
                    shipping=Money("4.90", "EUR"),
                    customer=Customer("Bench", "bench@example.org"),
                    charge_permission_id=permission["chargePermissionId"],
                )
            )
        uow.commit()
    authorized = run_chunk(authorization.authorize, res, numbers)
    problems = {n: o.describe() for n, o in authorized.items() if o.describe() != "accepted"}
    if problems:
        raise SystemExit(
            f"preparing failed for {len(problems)} documents, e.g. {list(problems.items())[:3]}"
        )
    with res.uow() as uow:
        for number in numbers:
            apply_event(uow, number, Event.ACTIVATION_REQUESTED)
        uow.commit()
    res.close()
    return numbers


def measure(base_url: str, numbers: list[str], paced: bool) -> dict[str, float]:
    """Activate the documents through the activate-batch flow under live quotas (the baseline:
    the same flow's chunks with an unpaced client)."""
    from prefect import flow

    from flows.orders import activate_batch, described, run_chunks
    from services import activation

    @flow(name="activate-batch-unpaced")
    def activate_unpaced(numbers: list[str]) -> dict[str, str]:
        res = bench_resources()
        try:
            return described(run_chunks(activation.activate, res, numbers))
        finally:
            res.close()

    os.environ["AMAZON_PAY_QUOTAS"] = "live"
    admin(base_url, "PUT", "/throttle", {"quotas": "live"})  # also resets the counters
    started = time.perf_counter()
    results = activate_batch(numbers) if paced else activate_unpaced(numbers)
    elapsed = time.perf_counter() - started
    counts = admin(base_url, "GET", "/throttle")["counts"].get("Capture Charge", {})
    captured = sum(1 for status in results.values() if status == "activated")
    allowed, throttled = counts.get("allowed", 0), counts.get("throttled", 0)
    sustained = max(captured - CAPTURE_BURST, 0) / elapsed
    return {
        "documents": len(numbers),
        "activated": captured,
        "seconds": elapsed,
        "sustained_rate": sustained,
        "share_of_quota": sustained / CAPTURE_RATE,
        "capture_requests": allowed + throttled,
        "throttled_share": throttled / max(allowed + throttled, 1),
    }


def report(name: str, figures: dict[str, float]) -> None:
    print(
        f"{name:<22} {figures['activated']:>5.0f}/{figures['documents']:<5.0f} activated in "
        f"{figures['seconds']:7.1f} s | sustained {figures['sustained_rate']:.2f}/s = "
        f"{figures['share_of_quota']:.1%} of the 4/s quota | "
        f"{figures['throttled_share']:.2%} of {figures['capture_requests']:.0f} "
        "capture requests got 429"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--baseline", type=int, default=200)
    args = parser.parse_args()
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="bench-activation-") as tmp:
        base_url = start(stack)
        results = {}
        for name, count, paced in (
            ("baseline (no pacing)", args.baseline, False),
            ("client token bucket", args.documents, True),
        ):
            folder = Path(tmp) / name.split()[0]
            folder.mkdir()
            admin(base_url, "PUT", "/throttle", {"quotas": "off"})
            numbers = prepare(base_url, folder, count, prefix="P" if paced else "U")
            results[name] = measure(base_url, numbers, paced)
            report(name, results[name])
        paced_share = results["client token bucket"]["throttled_share"]
        base_share = results["baseline (no pacing)"]["throttled_share"]
        print(f"ratio of 429 shares, paced / baseline: {paced_share / max(base_share, 1e-9):.3f}")


if __name__ == "__main__":
    main()
