"""Typed Amazon Pay v2 responses (pydantic v2), with prices as `Money` and UTC datetimes.

Field names are snake_case; the camelCase wire names are their aliases, so `model_validate` takes
Amazon's JSON and `model_dump(by_alias=True, mode="json")` gives it back (prices as
`{"amount": "14.00", "currencyCode": "EUR"}`, datetimes in ISO 8601). Unknown fields are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel

from domain.money import Money

CHARGE_STATES = frozenset(
    {"AuthorizationInitiated", "Authorized", "CaptureInitiated", "Captured", "Canceled", "Declined"}
)
CHARGE_PENDING_STATES = frozenset({"AuthorizationInitiated", "CaptureInitiated"})
REFUND_STATES = frozenset({"RefundInitiated", "Refunded", "Declined"})
CHARGE_PERMISSION_STATES = frozenset({"Chargeable", "NonChargeable", "Closed"})
REPORT_PROCESSING_STATUSES = frozenset({"IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED"})

_COMPACT_TIME = re.compile(r"^(\d{8}T\d{6})(?:\.(\d{1,6})\d*)?Z$")


def parse_timestamp(value: object) -> datetime:
    """A tz-aware UTC datetime from Amazon's compact `20231026T062827Z` or ISO 8601."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        compact = _COMPACT_TIME.fullmatch(text)
        try:
            if compact:
                moment = datetime.strptime(compact.group(1), "%Y%m%dT%H%M%S")
                fraction = compact.group(2)
                if fraction:
                    moment = moment.replace(microsecond=int(fraction.ljust(6, "0")))
            else:
                moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a timestamp (20231026T062827Z or ISO 8601)"
            ) from None
    else:
        raise ValueError(f"{value!r} is not a timestamp")
    # Amazon's timestamps are UTC; a zone-less one can only mean UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_price(value: object) -> Money:
    """Money from Amazon's `{"amount": "14.00", "currencyCode": "EUR"}` (amount str or number)."""
    if isinstance(value, Money):
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"a price must be an object with amount and currencyCode, got {value!r}")
    amount, currency = value.get("amount"), value.get("currencyCode")
    if not isinstance(currency, str) or not currency:
        raise ValueError(f"price {dict(value)!r} has no currencyCode")
    if isinstance(amount, float):
        # JSON numbers should arrive as Decimal (the client parses with parse_float=Decimal);
        # if a float slips through, its shortest repr is the number that was written.
        amount = str(amount)
    if not isinstance(amount, str | int | Decimal) or isinstance(amount, bool):
        raise ValueError(f"price {dict(value)!r} has no amount")
    return Money(amount if isinstance(amount, Decimal) else str(amount), currency)


def price_json(money: Money) -> dict[str, str]:
    """Amazon's price object for a Money, the amount as a string (`"500"` for JPY)."""
    if not isinstance(money, Money):
        raise TypeError(f"an amount must be domain.money.Money, got {type(money).__name__}")
    return {"amount": str(money.amount), "currencyCode": money.currency}


def _none_as_empty(value: object) -> object:
    return [] if value is None else value


Price = Annotated[Money, BeforeValidator(parse_price), PlainSerializer(price_json)]
Timestamp = Annotated[datetime, BeforeValidator(parse_timestamp)]


class AmazonModel(BaseModel):
    """Base: camelCase aliases, immutable, unknown fields ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        extra="ignore",
        arbitrary_types_allowed=True,
    )


class StatusDetails(AmazonModel):
    """State of a Charge or Refund."""

    state: str
    reason_code: str | None = None
    reason_description: str | None = None
    last_updated_timestamp: Timestamp | None = None


class Reason(AmazonModel):
    """One reason of a Charge Permission's state."""

    reason_code: str
    reason_description: str | None = None


class ChargePermissionStatusDetails(AmazonModel):
    """State of a Charge Permission, with a list of reasons."""

    state: str
    reasons: Annotated[list[Reason], BeforeValidator(_none_as_empty)] = []
    last_updated_timestamp: Timestamp | None = None


class Limits(AmazonModel):
    """What may still be charged on a Charge Permission."""

    amount_limit: Price | None = None
    amount_balance: Price | None = None


class Charge(AmazonModel):
    """A Charge: one authorization, captured at most once."""

    charge_id: str
    charge_permission_id: str
    charge_amount: Price
    capture_amount: Price | None = None
    refunded_amount: Price | None = None
    converted_amount: Price | None = None
    conversion_rate: Decimal | None = None
    soft_descriptor: str | None = None
    merchant_metadata: dict[str, Any] | None = None
    provider_metadata: dict[str, Any] | None = None
    charge_initiator: str | None = None
    channel: str | None = None
    status_details: StatusDetails
    creation_timestamp: Timestamp | None = None
    expiration_timestamp: Timestamp | None = None
    release_environment: str | None = None

    @property
    def state(self) -> str:
        """Shortcut for `status_details.state`."""
        return self.status_details.state

    @property
    def pending(self) -> bool:
        """Amazon has not decided yet (AuthorizationInitiated, CaptureInitiated)."""
        return self.status_details.state in CHARGE_PENDING_STATES


class Refund(AmazonModel):
    """A Refund against a captured Charge (always asynchronous)."""

    refund_id: str
    charge_id: str
    refund_amount: Price
    soft_descriptor: str | None = None
    status_details: StatusDetails
    creation_timestamp: Timestamp | None = None
    release_environment: str | None = None

    @property
    def state(self) -> str:
        """Shortcut for `status_details.state`."""
        return self.status_details.state

    @property
    def pending(self) -> bool:
        """Still RefundInitiated."""
        return self.status_details.state == "RefundInitiated"


class ChargePermission(AmazonModel):
    """The buyer's permission to charge: limits, state and expiry."""

    charge_permission_id: str
    charge_permission_reference_id: str | None = None
    charge_permission_type: str | None = None
    buyer: dict[str, Any] | None = None
    shipping_address: dict[str, Any] | None = None
    billing_address: dict[str, Any] | None = None
    payment_preferences: list[dict[str, Any]] | None = None
    merchant_metadata: dict[str, Any] | None = None
    recurring_metadata: dict[str, Any] | None = None
    platform_id: str | None = None
    presentment_currency: str | None = None
    limits: Limits | None = None
    status_details: ChargePermissionStatusDetails
    creation_timestamp: Timestamp | None = None
    expiration_timestamp: Timestamp | None = None
    release_environment: str | None = None

    @property
    def state(self) -> str:
        """Shortcut for `status_details.state`."""
        return self.status_details.state


class Report(AmazonModel):
    """A report's metadata; its content is behind `report_document_id` once COMPLETED."""

    report_id: str
    report_type: str
    processing_status: str
    start_time: Timestamp | None = None
    end_time: Timestamp | None = None
    created_time: Timestamp | None = None
    processing_start_time: Timestamp | None = None
    processing_end_time: Timestamp | None = None
    report_document_id: str | None = None


class ReportDocument(AmazonModel):
    """Where to download a report; the URL expires 30 seconds after it was issued."""

    report_document_id: str
    url: str
    compression_algorithm: str | None = None


class ReportsPage(AmazonModel):
    """One page of Get Reports; ask again with `next_token` while it is set."""

    reports: Annotated[list[Report], BeforeValidator(_none_as_empty)] = []
    next_token: str | None = None
