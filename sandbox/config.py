"""The sandbox's configuration: one plain dataclass handed to `create_app`.

Everything that makes the sandbox behave like a particular Amazon (region, quotas, delays, fees)
is here; runtime switches that tests flip (faults, quotas, IPN URL, keys) start from these values
and are changed through the admin API.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal

Region = Literal["eu", "na", "jp"]
Quotas = Literal["live", "sandbox", "off"]
SkewReference = Literal["sandbox", "real", "either"]

# The real Amazon Pay API host of each region: requests must name it in x-amz-pay-host.
REGION_HOSTS: dict[str, str] = {
    "eu": "pay-api.amazon.eu",
    "na": "pay-api.amazon.com",
    "jp": "pay-api.amazon.jp",
}
# Region spellings the SDKs send (Java sends EU/NA/JP, an old doc example `us`).
REGION_ALIASES: dict[str, str] = {
    "eu": "eu",
    "de": "eu",
    "uk": "eu",
    "na": "na",
    "us": "na",
    "jp": "jp",
}


@dataclass(frozen=True)
class SandboxConfig:
    """How the sandbox plays Amazon; every field has a default that mimics the real sandbox."""

    # Public key id -> PEM public key (SubjectPublicKeyInfo). More can be added via admin.
    public_keys: dict[str, str] = field(default_factory=dict)
    merchant_id: str = "A1SANDBOXMERCHANT"
    store_name: str = "Sandbox Store"
    region: Region = "eu"
    # Admin endpoints under /_admin answer 404 unless this is on.
    admin: bool = False
    quotas: Quotas = "sandbox"
    # Where IPNs are POSTed; None records them without sending.
    ipn_url: str | None = None
    # How the sandbox names itself in absolute URLs (cert URL, report document URL).
    # None: learned from the Host header of the first request.
    public_base_url: str | None = None
    # Sandbox clock start (tz-aware); None = now. The clock then runs with real time.
    clock_start: datetime | None = None
    max_clock_skew_seconds: int = 15 * 60
    # x-amz-pay-host values accepted besides the region's host and the Host a request reached
    # us at (e.g. `localhost:8123` for an SDK that names the sandbox so).
    accept_hosts: tuple[str, ...] = ()
    # Which clock x-amz-pay-date is compared with: the (advanceable) sandbox clock, real time,
    # or either of them (default: clients on real time keep working after the clock was
    # advanced, and clients that follow the sandbox clock work too).
    skew_reference: SkewReference = "either"
    # Sandbox-clock seconds until AuthorizationInitiated/CaptureInitiated/RefundInitiated resolve.
    async_delay_seconds: int = 30
    # Sandbox-clock seconds a report document download URL stays valid.
    report_url_ttl_seconds: int = 30
    # Settlement fees per capture: percentage of the amount plus a fixed fee (both Decimal).
    fee_percent: Decimal = Decimal("1.9")
    fee_fixed: Decimal = Decimal("0.35")
    # Time zone of settlement report dates (the real files show -0700).
    report_timezone: str = "America/Los_Angeles"
    # SQLite file the state is kept in across restarts (None: in memory only).
    state_file: Path | None = None
    # Seed of every random choice (ids, fault injection) so runs repeat.
    seed: int = 0
    # Real seconds between background ticks that apply due transitions (None: only lazily).
    tick_interval_seconds: float | None = 1.0
    topic_arn: str = "arn:aws:sns:eu-west-1:000000000000:A1SANDBOXMERCHANT"
    # The brief and Amazon's IPN page say V1; amazon-pay-v2.md §6 shows V2.
    ipn_notification_version: str = "V1"

    def __post_init__(self) -> None:
        if self.region not in REGION_HOSTS:
            raise ValueError(f"region must be one of {sorted(REGION_HOSTS)}, got {self.region!r}")
        if self.skew_reference not in ("sandbox", "real", "either"):
            raise ValueError(
                f"skew_reference must be sandbox, real or either: {self.skew_reference!r}"
            )
        if self.quotas not in ("live", "sandbox", "off"):
            raise ValueError(f"quotas must be live, sandbox or off, got {self.quotas!r}")
        if self.clock_start is not None and self.clock_start.tzinfo is None:
            raise ValueError("clock_start must be timezone-aware")
        for name in ("fee_percent", "fee_fixed"):
            if not isinstance(getattr(self, name), Decimal):
                raise ValueError(f"{name} must be a Decimal, not {type(getattr(self, name))}")

    @property
    def host(self) -> str:
        """The Amazon host this sandbox answers for."""
        return REGION_HOSTS[self.region]


def load_keys_file(path: Path) -> dict[str, str]:
    """Read a JSON object {public key id: PEM public key} from a file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read a JSON keys file ({exc})") from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ValueError(f"{path}: expected a JSON object of public key id -> PEM text")
    return data
