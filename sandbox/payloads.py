"""Reading request bodies the way Amazon does: strict fields, exact amounts, clear 400 answers."""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from domain.money import Money, MoneyError
from sandbox.errors import ApiError

MERCHANT_METADATA_LIMITS = {
    "merchantReferenceId": 256,
    "merchantStoreName": 50,
    "noteToBuyer": 255,
    "customInformation": 4096,
}


def parse_body(body: bytes) -> dict[str, Any]:
    """The JSON object of a body (`{}` when empty); numbers are read as Decimal, never float."""
    if not body.strip():
        return {}
    try:
        data = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError("InvalidRequestFormat", f"the body is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ApiError("InvalidRequestFormat", "the body must be a JSON object")
    return data


def check_fields(body: dict[str, Any], allowed: Iterable[str]) -> None:
    """Refuse fields the operation does not know (400 UnrecognizedField)."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ApiError("UnrecognizedField", f"unrecognized field(s): {', '.join(unknown)}")


def require(body: dict[str, Any], name: str) -> Any:
    """A required field's value (400 MissingParameterValue when absent or null)."""
    value = body.get(name)
    if value is None or value == "":
        raise ApiError("MissingParameterValue", f"{name} is required")
    return value


def require_str(body: dict[str, Any], name: str) -> str:
    """A required string field."""
    value = require(body, name)
    if not isinstance(value, str):
        raise ApiError("InvalidParameterValue", f"{name} must be a string")
    return value


def optional_str(body: dict[str, Any], name: str, max_length: int) -> str | None:
    """An optional string field no longer than `max_length` characters."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError("InvalidParameterValue", f"{name} must be a string")
    if len(value) > max_length:
        raise ApiError(
            "InvalidParameterValue", f"{name} is {len(value)} characters; at most {max_length}"
        )
    return value


def optional_bool(body: dict[str, Any], name: str, default: bool) -> bool:
    """An optional boolean field."""
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ApiError("InvalidParameterValue", f"{name} must be true or false")
    return value


def parse_price(value: Any, name: str) -> Money:
    """A price object `{"amount": "14.00", "currencyCode": "EUR"}` (amount string or number)."""
    if not isinstance(value, dict):
        raise ApiError(
            "InvalidParameterValue", f"{name} must be an object with amount, currencyCode"
        )
    check_fields(value, ("amount", "currencyCode"))
    amount, currency = value.get("amount"), value.get("currencyCode")
    if amount is None or currency is None:
        raise ApiError("MissingParameterValue", f"{name}.amount and {name}.currencyCode required")
    if isinstance(amount, bool) or not isinstance(amount, str | int | Decimal):
        raise ApiError("InvalidParameterValue", f"{name}.amount must be a decimal string")
    if not isinstance(currency, str):
        raise ApiError("InvalidParameterValue", f"{name}.currencyCode must be a string")
    try:
        money = Money(amount.strip() if isinstance(amount, str) else amount, currency)
    except MoneyError as exc:
        raise ApiError("InvalidParameterValue", f"{name}: {exc}") from None
    if money.amount <= 0:
        raise ApiError("InvalidParameterValue", f"{name}.amount must be greater than zero")
    return money


def parse_metadata(value: Any) -> dict[str, str] | None:
    """merchantMetadata with Amazon's field length limits."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ApiError("InvalidParameterValue", "merchantMetadata must be an object")
    check_fields(value, MERCHANT_METADATA_LIMITS)
    result: dict[str, str] = {}
    for name, limit in MERCHANT_METADATA_LIMITS.items():
        text = optional_str(value, name, limit)
        if text is not None:
            result[name] = text
    return result
