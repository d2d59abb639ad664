"""The module's settings, read from the environment (and an optional `.env` file).

The names of the `AMAZON_PAY_*` and `AMAZON_PAYMENTS_DATABASE_URL` variables are a contract with
users and with the other parts of the module. The private key is a `SecretStr`: its repr, str and
any validation error show `**********`, never the key.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.private_key import key_pem

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
ALGORITHMS = ("AMZN-PAY-RSASSA-PSS", "AMZN-PAY-RSASSA-PSS-V2")


def default_database_url() -> str:
    """The embedded default: a SQLite file under the project's data folder."""
    return f"sqlite:///{DATA_DIR / 'amazon_payments.sqlite3'}"


class AmazonPaySettings(BaseSettings):
    """Credentials and endpoint of Amazon Pay API v2 (`AMAZON_PAY_*`)."""

    model_config = SettingsConfigDict(env_prefix="AMAZON_PAY_", env_file=".env", extra="ignore")

    merchant_id: str = ""
    public_key_id: str = ""
    private_key: SecretStr = SecretStr("")
    region: Literal["eu", "na", "jp"] = "eu"
    sandbox: bool = True
    algorithm: Literal["AMZN-PAY-RSASSA-PSS", "AMZN-PAY-RSASSA-PSS-V2"] = "AMZN-PAY-RSASSA-PSS-V2"
    base_url: str | None = None
    # Client-side pacing: Amazon's published quotas of the environment ("auto"), or a set named.
    quotas: Literal["auto", "live", "sandbox"] = "auto"
    # Who paces (adapters/amazon_pay/limiter.py). "auto": the Redis token buckets when redis_url
    # is set, else the Prefect global concurrency limits shared by all workers when
    # PREFECT_API_URL is set, else this process's token buckets.
    limiter: Literal["auto", "local", "prefect", "redis"] = "auto"
    redis_url: str | None = None

    @field_validator("region", mode="before")
    @classmethod
    def _lower_region(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    def private_key_pem(self) -> bytes:
        """The private key as PEM bytes from PEM text, bare base64 or a path to a PEM file.

        Raises ValueError with a fixed message (never the value); see `adapters.private_key`.
        """
        return key_pem(self.private_key.get_secret_value())


class ModuleSettings(BaseSettings):
    """The module's switches, document types, accounts and timing (`AMAZON_PAYMENTS_*`)."""

    model_config = SettingsConfigDict(
        env_prefix="AMAZON_PAYMENTS_", env_file=".env", extra="ignore"
    )

    database_url: str = Field(default_factory=default_database_url)
    payment_method: str = "Amazon Pay"
    doc_type_successful: str = "order"
    doc_type_pending: str = "order"
    doc_type_failed: str = "order"
    doc_type_shipped: str = "invoice"
    doc_type_returned: str = "credit_note"
    report_shipment: bool = True
    report_returns: bool = True
    report_cancellations: bool = True
    import_settlements: bool = True
    account_income: str = "8400"
    account_expenses: str = "4900"
    account_amazon_fees: str = "4970"
    account_clearing: str | None = None
    fee_article_sku: str | None = None
    # The fee article's price per currency, `EUR:1.50,GBP:1.30` (decimal strings, no floats).
    fee_article_price: str = ""
    fee_article_name: str = "Amazon Pay fee"
    authorization_timeout_seconds: int = Field(default=15 * 60, gt=0)
    # Pending documents younger than the timeout that one sweep polls at most (oldest first).
    # Their runs wait for Amazon's notification; 240 is half of what the live Get Charge
    # quota (4 a second) allows in the sweep's 2 minutes, so the timed-out ones never wait.
    pending_polls_per_sweep: int = Field(default=240, ge=0)
    business_time_zone: str = "Europe/Berlin"
    inbox_dir: Path = DATA_DIR / "inbox"
    review_dir: Path = DATA_DIR / "review"  # the CSVs of the settlement review lists
    # Settlement report size limits per source (bytes). Reports are read in pieces, so these
    # bound disk and time, not memory; a pipe or device states no size: the stream limit cuts
    # an endless one off.
    max_report_bytes_file: int = Field(default=2 * 2**30, gt=0)  # inbox, `settlement import`
    max_report_bytes_download: int = Field(default=2 * 2**30, gt=0)  # the Reports API
    max_report_bytes_stream: int = Field(default=512 * 2**20, gt=0)  # a pipe, /dev/stdin

    @field_validator("business_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def authorization_timeout(self) -> timedelta:
        return timedelta(seconds=self.authorization_timeout_seconds)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.business_time_zone)
