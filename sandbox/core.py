"""The composition root of the simulated Amazon: one `Sandbox` holds every part the app uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sandbox.clock import SandboxClock
from sandbox.config import SandboxConfig
from sandbox.faults import FaultInjector
from sandbox.idempotency import IdempotencyStore
from sandbox.ledger import Ledger
from sandbox.notifications import Notifier
from sandbox.payments import Payments
from sandbox.persistence import SandboxStore
from sandbox.reports import ReportStore
from sandbox.signature import KeyRing, SignatureVerifier
from sandbox.throttle import Throttle


class Sandbox:
    """Clock, ledger, operations, reports, keys, throttle, faults and notifier of one app."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.clock = SandboxClock(config.clock_start)
        self.ledger = Ledger(config.seed, timedelta(seconds=config.async_delay_seconds))
        self.payments = Payments(self.ledger)
        self.keys = KeyRing(config.public_keys)
        skew = timedelta(seconds=config.max_clock_skew_seconds)
        self.verifier = SignatureVerifier(
            self.keys, config.region, skew, self._skew_clocks, config.accept_hosts
        )
        self.idempotency = IdempotencyStore()
        self.throttle = Throttle(config.quotas)
        self.faults = FaultInjector()
        self._base_url = config.public_base_url.rstrip("/") if config.public_base_url else None
        self.notifier = Notifier(
            merchant_id=config.merchant_id,
            topic_arn=config.topic_arn,
            version=config.ipn_notification_version,
            url=config.ipn_url,
            base_url=self.base_url,
            now=self.clock.now,
        )
        self.ledger.listeners.append(self.notifier.publish)
        self.reports = ReportStore(
            seed=config.seed,
            opened_at=self.clock.now(),
            seller_id=config.merchant_id,
            store_name=config.store_name,
            fees=(config.fee_percent, config.fee_fixed),
            zone=config.report_timezone,
            url_ttl=timedelta(seconds=config.report_url_ttl_seconds),
        )
        self.store = SandboxStore(config.state_file) if config.state_file else None
        if self.store is not None:
            self.store.load(self)

    def _skew_clocks(self) -> list[datetime]:
        reference = self.config.skew_reference
        clocks = [self.clock.now()] if reference in ("sandbox", "either") else []
        return clocks + ([datetime.now(UTC)] if reference in ("real", "either") else [])

    def now(self) -> datetime:
        """The sandbox time."""
        return self.clock.now()

    def tick(self) -> int:
        """Apply the transitions that are due on the sandbox clock (and save when any were)."""
        with self.ledger.lock:
            applied = self.ledger.tick(self.clock.now())
            if applied:
                self.save()
        return applied

    def save(self) -> None:
        """Write the state to the state file, if the sandbox has one."""
        if self.store is not None:
            with self.ledger.lock:
                self.store.save(self)

    def base_url(self) -> str:
        """How the sandbox names itself in absolute URLs."""
        return self._base_url or "http://127.0.0.1"

    def learn_base_url(self, scheme: str, host: str | None) -> None:
        """Remember the address clients reach us at, unless configured."""
        if self._base_url is None and host:
            self._base_url = f"{scheme}://{host}"
