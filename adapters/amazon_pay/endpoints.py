"""Where requests go: region host, path prefix by key type, and an optional base URL override.

Sandbox and live share one host per region; the path selects the environment (amazon-pay-v2.md
§1.1). Keys whose id starts with `SANDBOX-` or `LIVE-` (any case) carry their environment and use
`/v2/...`; legacy keys use `/sandbox/v2/...` or `/live/v2/...` by the sandbox setting.
`x-amz-pay-host` and `x-amz-pay-region` always name the real Amazon host and region, even when the
requests go to a base URL such as a local sandbox.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import httpx

from adapters.amazon_pay.errors import ConfigurationError
from adapters.amazon_pay.signing import canonical_query, canonical_uri

REGION_HOSTS: dict[str, str] = {
    "eu": "pay-api.amazon.eu",
    "na": "pay-api.amazon.com",
    "jp": "pay-api.amazon.jp",
}
# The SDKs' region keys: `us` is North America, `uk` and `de` are served from the EU host.
REGION_ALIASES: dict[str, str] = {"us": "na", "uk": "eu", "de": "eu"}
ENV_KEY_PREFIXES = ("SANDBOX-", "LIVE-")
_SEGMENT = re.compile(r"^[A-Za-z0-9._~-]{1,256}$")


def canonical_region(region: str) -> str:
    """`eu`, `na` or `jp` for a region key or alias (case-insensitive)."""
    key = region.strip().lower()
    key = REGION_ALIASES.get(key, key)
    if key not in REGION_HOSTS:
        raise ConfigurationError(f"unknown Amazon Pay region {region!r}; expected eu, na or jp")
    return key


def is_env_specific_key(public_key_id: str) -> bool:
    """Whether the key id names its environment (`SANDBOX-...`, `LIVE-...`, any case)."""
    return public_key_id.strip().upper().startswith(ENV_KEY_PREFIXES)


def path_segment(name: str, value: str) -> str:
    """An object id checked to be one plain path segment (unreserved characters only)."""
    if not isinstance(value, str) or not _SEGMENT.fullmatch(value) or value in (".", ".."):
        raise ValueError(f"{name} must be 1-256 characters of A-Z a-z 0-9 . _ ~ -, got {value!r}")
    return value


@dataclass(frozen=True)
class Endpoint:
    """The resolved target of one client."""

    region: str
    host: str
    live: bool
    api_prefix: str
    origin: str
    base_path: str

    @property
    def environment(self) -> Literal["live", "sandbox"]:
        """`live` or `sandbox`."""
        return "live" if self.live else "sandbox"

    def path(self, resource: str) -> str:
        """The full decoded request path of an API resource such as `/charges/S01-...`."""
        return f"{self.base_path}{self.api_prefix}{resource}"

    def url(self, path: str, params: Sequence[tuple[str, str]] = ()) -> str:
        """The URL sent: origin, encoded path and query, exactly as they are signed."""
        query = canonical_query(params)
        return f"{self.origin}{canonical_uri(path)}" + (f"?{query}" if query else "")


def resolve_endpoint(
    public_key_id: str, region: str, sandbox: bool, base_url: str | None = None
) -> Endpoint:
    """The endpoint for a key, region and environment, optionally sent to another base URL."""
    region_key = canonical_region(region)
    host = REGION_HOSTS[region_key]
    key_id = public_key_id.strip().upper()
    if is_env_specific_key(key_id):
        live, prefix = key_id.startswith("LIVE-"), "/v2"
    else:
        live = not sandbox
        prefix = "/live/v2" if live else "/sandbox/v2"
    origin, base_path = f"https://{host}", ""
    if base_url:
        try:
            parsed = httpx.URL(base_url)
        except httpx.InvalidURL:
            raise ConfigurationError(f"AMAZON_PAY_BASE_URL {base_url!r} is not a URL") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ConfigurationError(f"AMAZON_PAY_BASE_URL {base_url!r} is not an http(s) URL")
        netloc = f"[{parsed.host}]" if ":" in parsed.host else parsed.host  # IPv6 literal
        port = f":{parsed.port}" if parsed.port else ""
        origin, base_path = f"{parsed.scheme}://{netloc}{port}", parsed.path.rstrip("/")
    return Endpoint(region_key, host, live, prefix, origin, base_path)
