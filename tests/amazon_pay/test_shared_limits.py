"""One quota for all workers: the shared limiters against a real Prefect server, Redis and the
sandbox (which answers 429 past Amazon's live quotas and records when it let each request in)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.amazon_pay import ConfigurationError, Operation, Throttle
from adapters.amazon_pay.clock import SystemClock
from adapters.amazon_pay.limiter import (
    PrefectRateLimit,
    RedisTokenBucket,
    choose_limiter,
    limit_specs,
)
from adapters.amazon_pay.throttle import LIVE_QUOTAS
from sandbox.config import SandboxConfig
from sandbox.server import bind_socket, run_in_thread

REPO = Path(__file__).resolve().parents[2]
KEY_ID = "SANDBOX-SHAREDLIMITS000000001"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Get Charge Permission, live: burst 20, 4 per second.
BURST, RATE = 20, 4.0


def free_port() -> int:
    probe = bind_socket()
    port = int(probe.getsockname()[1])
    probe.close()
    return port


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`prefect server start` on a free loopback port, home in a temporary folder."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env |= {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_UI_ENABLED": "false",
    }
    log = home / "server.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(  # noqa: S603 - our own executable
            [str(Path(sys.executable).parent / "prefect"), "server", "start", "--host",
             "127.0.0.1", "--port", str(port)],
            env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"prefect server did not start:\n{log.read_text()}")
            time.sleep(0.5)
        yield api
    finally:
        server.terminate()
        server.wait(timeout=30)


def redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")


def cli(api: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env |= {"PREFECT_API_URL": api, "AMAZON_PAY_PUBLIC_KEY_ID": KEY_ID}
    amazon_payments = str(Path(sys.executable).parent / "amazon-payments")
    return subprocess.run(  # noqa: S603
        [amazon_payments, *args], env=env, capture_output=True, text=True, check=False
    )


def test_each_operation_gets_its_burst_and_95_percent_of_its_rate():
    specs = {spec.operation: spec for spec in limit_specs(LIVE_QUOTAS)}
    capture = specs[Operation.CAPTURE_CHARGE]
    assert (capture.name, capture.limit, capture.slot_decay_per_second) == (
        "amazon-pay-capture-charge", 20, 3.8
    )  # fmt: skip
    assert set(specs) == set(Operation)  # strict limits: every call the client makes has one


def test_auto_takes_redis_when_configured_else_prefect_when_an_api_is_set_else_local(monkeypatch):
    clock = SystemClock()
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert isinstance(choose_limiter("auto", LIVE_QUOTAS, clock), Throttle)
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    assert isinstance(choose_limiter("auto", LIVE_QUOTAS, clock), PrefectRateLimit)
    redis = choose_limiter("auto", LIVE_QUOTAS, clock, redis_url=REDIS_URL)
    assert isinstance(redis, RedisTokenBucket)
    with pytest.raises(ConfigurationError, match="limiter must be"):
        choose_limiter("zookeeper", LIVE_QUOTAS, clock)  # type: ignore[arg-type]


def test_limits_apply_creates_each_limit_once_and_updates_only_what_changed(prefect_api):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate
    from prefect.settings import PREFECT_API_URL, temporary_settings

    first = cli(prefect_api, "limits", "apply", "--quotas", "live")
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("created: ") == len(Operation)
    with (
        temporary_settings(updates={PREFECT_API_URL: prefect_api}),
        get_client(sync_client=True) as client,
    ):
        capture = client.read_global_concurrency_limit_by_name("amazon-pay-capture-charge")
        assert (capture.limit, capture.slot_decay_per_second) == (20, 3.8)
        client.update_global_concurrency_limit(
            "amazon-pay-get-refund", GlobalConcurrencyLimitUpdate(limit=99)
        )
    again = cli(prefect_api, "limits", "apply", "--quotas", "live")
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("unchanged: ") == len(Operation) - 1
    assert "updated: amazon-pay-get-refund (limit 20, 3.8 slots/s)" in again.stdout


def test_a_missing_prefect_limit_is_an_error_that_names_it_and_the_fix(prefect_api, monkeypatch):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.setenv("PREFECT_API_URL", prefect_api)
    with (
        temporary_settings(updates={PREFECT_API_URL: prefect_api}),
        pytest.raises(ConfigurationError) as raised,
    ):
        PrefectRateLimit().acquire("Never Applied")
    message = str(raised.value)
    assert "'amazon-pay-never-applied'" in message
    assert "does not exist" in message
    assert prefect_api in message
    assert "amazon-payments limits apply" in message


CALLER = """
import sys
from adapters.amazon_pay import AmazonPayClient, RetryPolicy, Throttled
from adapters.amazon_pay.clock import SystemClock
from adapters.amazon_pay.limiter import RedisTokenBucket
from adapters.amazon_pay.throttle import LIVE_QUOTAS

kind, base_url, pem_file, permission, calls, prefix = sys.argv[1:]
limiter = (
    RedisTokenBucket(LIVE_QUOTAS, SystemClock(), {redis!r}, key_prefix=prefix)
    if kind == "redis" else kind
)
# One attempt: a 429 is not retried away, it fails the caller.
client = AmazonPayClient({key_id!r}, open(pem_file, "rb").read(), base_url=base_url,
                         quotas="live", limiter=limiter, retry=RetryPolicy(max_attempts=1))
try:
    for _ in range(int(calls)):
        client.get_charge_permission(permission)
except Throttled as throttled:
    sys.exit(f"throttled: {{throttled}}")
"""


@pytest.mark.parametrize("kind", ["prefect", "redis"])
def test_two_processes_sharing_one_limit_stay_within_the_accounts_quota(
    kind, prefect_api, tmp_path
):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from deployments import limits

    if kind == "redis":
        redis_or_skip()
    else:
        with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
            limits.apply("live")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "key.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    config = SandboxConfig(admin=True, public_keys={KEY_ID: public.decode()}, quotas="live")
    script = CALLER.format(redis=REDIS_URL, key_id=KEY_ID)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env |= {"PREFECT_API_URL": prefect_api, "PYTHONPATH": str(REPO)}
    calls = 25  # two processes: 50 requests against a burst of 20 at 4 per second
    with run_in_thread(config) as base_url:
        admin = httpx.Client(base_url=f"{base_url}/_admin", timeout=10)
        permission = admin.post("/checkouts", json={"amount": "9.00", "currencyCode": "EUR"})
        permission_id = permission.json()["chargePermissionId"]
        admin.put("/throttle", json={"quotas": "live"})  # the counters start at zero
        args = [kind, base_url, str(pem), permission_id, str(calls), f"test-{uuid.uuid4().hex}:"]
        callers = [
            subprocess.Popen(  # noqa: S603
                [sys.executable, "-c", script, *args], env=env, cwd=REPO, stderr=subprocess.PIPE
            )
            for _ in range(2)
        ]
        problems = [caller.communicate(timeout=240)[1].decode()[-800:] for caller in callers]
        seen = admin.get("/throttle").json()
    assert [caller.returncode for caller in callers] == [0, 0], problems
    counts = seen["counts"]["Get Charge Permission"]
    assert counts == {"allowed": 2 * calls, "throttled": 0}
    times = sorted(seen["allowedAt"]["Get Charge Permission"])
    # Counted where Amazon counts: after the burst, never more than the restore rate allows.
    for index, moment in enumerate(times):
        assert index + 1 <= BURST + RATE * (moment - times[0]) + 1, (index, moment - times[0])
    per_second = (len(times) - BURST) / (times[-1] - times[0])
    assert per_second <= RATE
