"""The ERP interface's errors: a fixed code, a message for people and every field at fault.

    DocumentError                     code                        HTTP
    ├── invalid_field                 a field is missing/wrong    422
    ├── not_found                     no such document            404
    ├── other_payment_method          not paid with Amazon Pay    400
    ├── number_reused                 a number with other content 409
    ├── duplicate_amazon_id           an Amazon id of another doc 409
    ├── not_changeable                shipped, activated, ...     409
    ├── exceeds_charge_permission     above the permission        409
    ├── amazon_call_in_flight         an Amazon call is open      409
    ├── not_accepted                  cannot be shipped now       409
    ├── switched_off                  a report switch is off      409
    ├── not_activated                 nothing shipped to return   409
    ├── exceeds_shipped               more than shipped           409
    ├── needs_seller_central          single items cancelled      409
    ├── not_cancellable               activated, failed, ...      409
    └── amazon_unavailable            Amazon did not answer       503

The codes are a contract with the ERP; the messages may change.
"""

from __future__ import annotations

HTTP_STATUS = {
    "invalid_field": 422,
    "not_found": 404,
    "other_payment_method": 400,
    "amazon_unavailable": 503,
}


class DocumentError(Exception):
    """A request of the ERP that was not carried out, and why."""

    def __init__(self, code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = list(fields or [])

    @property
    def http_status(self) -> int:
        """404, 422, 400 or 503 for the codes that are no conflict, else 409."""
        return HTTP_STATUS.get(self.code, 409)

    def as_json(self) -> dict[str, object]:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


def invalid(faults: list[tuple[str, str]]) -> DocumentError:
    """One error naming every field at fault, from (field, reason) pairs."""
    fields = list(dict.fromkeys(name for name, _ in faults if name))
    message = "; ".join(f"{name}: {reason}" if name and not reason.startswith(name) else reason
                        for name, reason in faults)  # fmt: skip
    return DocumentError("invalid_field", message, fields)


def not_found(number: str) -> DocumentError:
    return DocumentError("not_found", f"no document {number}")
