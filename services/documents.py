"""The ERP's actions on documents, as use cases: intake, look, list, change, ship, return, cancel.

Each action records the ERP's request in one transaction, serialised per document (a row lock
on PostgreSQL, `BEGIN IMMEDIATE` on SQLite) and returns; the work with Amazon is done by the
flows or the sweeper. Each is idempotent where the ERP may resend after a timeout: intake by
number, returns by credit-note number, shipment and cancellation by the document's state.
Refusals raise `DocumentError` with a fixed code, a message and the fields at fault.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from adapters.amazon_pay import AmazonPayError
from adapters.erp.store import StoreConflict, UnitOfWork
from adapters.settings import ModuleSettings
from domain.documents import Document, DocumentType, Item
from domain.erp_requests import Change, read_cancellation, read_change
from domain.intake import amazon_ids, order_from_record
from domain.money import Money, MoneyError
from domain.next_step import SINGLE_ITEMS_REFUSED
from domain.order_fields import field_errors
from domain.payment_status import CANCELLABLE, Event, IllegalTransition, Status
from services.document_access import Answer, get, locked, view_of
from services.document_errors import DocumentError, invalid, not_found
from services.resources import Resources

CHANGEABLE = (Status.PENDING, Status.ACCEPTED, Status.AUTHORIZATION_OVERDUE)
SHIPPED = (
    Status.ACTIVATION_REQUESTED,
    Status.CAPTURE_PENDING,
    Status.ACTIVATED,
    Status.PARTIALLY_REFUNDED,
    Status.REFUNDED,
)
HELD = ("AuthorizationInitiated", "Authorized")
MAX_PAGE = 500


def intake(res: Resources, raw: object) -> Answer:
    """One order from the webshop (the `orders import` schema, plus an optional
    `payment_method`); the identical order again changes nothing."""
    method: object = res.settings.payment_method
    faults = []
    if isinstance(raw, dict) and "payment_method" in raw:
        raw = dict(raw)
        method = raw.pop("payment_method")
        if not isinstance(method, str) or not method.strip() or len(method) > 64:
            faults.append(("payment_method", "a payment method is 1 to 64 characters"))
    faults += field_errors(raw)
    if faults or not isinstance(method, str):
        raise invalid(faults)
    document = order_from_record(raw)
    if method == res.settings.payment_method:
        document.fee_article = fee_article(res.settings, document.currency)
    try:
        return _store_order(res, document, method)
    except StoreConflict:  # a concurrent intake of the same order won (PostgreSQL)
        return _store_order(res, document, method)


def view(res: Resources, number: str) -> dict[str, Any]:
    """The document with its type, payment method, history and Amazon objects."""
    with res.uow() as uow:
        document = uow.documents.get(number)
        if document is None:
            raise not_found(number)
        return view_of(res, uow, document)


def page(
    res: Resources,
    status: str | None = None,
    type_name: str | None = None,
    limit: int = 50,
    after: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Documents in store order, filtered; the cursor of the next page, or None at the end."""
    if not 0 < limit <= MAX_PAGE:
        raise invalid([("limit", f"limit is 1 to {MAX_PAGE}")])
    if after is not None and not after.isdigit():
        raise invalid([("after", "not a cursor of this list")])
    with res.uow() as uow:
        rows = uow.records.page(status, type_name, limit + 1, int(after) if after else None)
        views = [view_of(res, uow, get(uow, number)) for _, number in rows[:limit]]
    return views, (str(rows[limit - 1][0]) if len(rows) > limit else None)


def change(res: Resources, number: str, raw: object) -> Answer:
    """Replace items and/or shipping before shipment; each change is a history row."""
    with res.uow() as uow:
        current = get(uow, number)
    request = read_change(raw, current)
    if isinstance(request, list):
        raise invalid(request)
    allowed: Money | None = None
    while True:
        with res.uow() as uow:
            document = locked(res, uow, number)
            _check_changeable(uow, document)  # under the lock: no other request in between
            before, after = document.gross_total, _changed(document, request)
            if after <= before or (allowed is not None and after <= allowed):
                uow.records.replace_lines(number, request.items, request.shipping)
                reason = f"changed before shipment: gross total {before.amount} -> {after.amount}"
                uow.records.add_event(
                    number, "changed", str(before.amount), str(after.amount), reason
                )
                uow.commit()
                return Answer(view_of(res, uow, get(uow, number)), True)
        # A higher total: what the permission allows is read from Amazon outside the lock.
        allowed = _permission_allows(res, number, document)
        if after > allowed:
            raise DocumentError(
                "exceeds_charge_permission",
                f"{number}: the new total {after} is above what the charge permission still "
                f"allows ({allowed})",
                ["items" if request.items is not None else "shipping"],
            )


def _changed(document: Document, request: Change) -> Money:
    """The gross total the document would have after the change."""
    items = request.items if request.items is not None else document.items
    shipping = request.shipping if request.shipping is not None else document.shipping
    return replace(document, items=items, shipping=shipping).gross_total


def ship(res: Resources, number: str) -> Answer:
    """The ERP reports the shipment: activation is requested, the type becomes *shipped*."""
    with res.uow() as uow:
        document = locked(res, uow, number)
        status = document.payment.status
        if status in SHIPPED or (
            status is Status.REAUTHORIZATION
            and uow.refs.activation_outstanding(uow.documents.id_of(number))
        ):
            return Answer(view_of(res, uow, document), False)
        if uow.records.facts(number).cancel_requested:  # type: ignore[union-attr]
            raise DocumentError("not_accepted", f"{number}: its cancellation was requested")
        if status is not Status.ACCEPTED:
            raise DocumentError(
                "not_accepted",
                f"{number} cannot be activated: its payment status is {status.value}; "
                "only accepted documents can be activated",
            )
        if not res.settings.report_shipment:
            raise DocumentError(
                "switched_off",
                f"{number}: reporting shipments to Amazon is switched off "
                "(AMAZON_PAYMENTS_REPORT_SHIPMENT=false)",
            )
        document.payment, transition = document.payment.apply(Event.ACTIVATION_REQUESTED)
        uow.documents.save_payment(number, document, transition)
        uow.commit()
        return Answer(view_of(res, uow, get(uow, number)), True)


def request_cancellation(res: Resources, number: str, raw: object) -> Answer:
    """Request the cancellation of a whole order that is not activated; items are refused."""
    items, faults = read_cancellation(raw)
    if faults:
        raise invalid(faults)
    with res.uow() as uow:
        document = locked(res, uow, number)
        if items:
            raise DocumentError(
                "needs_seller_central", f"{number}: {SINGLE_ITEMS_REFUSED}", ["items"]
            )
        status = document.payment.status
        facts = uow.records.facts(number)
        assert facts is not None
        if document.doc_type is not DocumentType.ORDER:
            raise DocumentError("not_cancellable", f"{number} is a {facts.kind}, not an order")
        if status is Status.CANCELLED or (facts.cancel_requested and status in CANCELLABLE):
            return Answer(view_of(res, uow, document), False)
        if status not in CANCELLABLE:
            raise DocumentError(
                "not_cancellable",
                f"{number} cannot be cancelled: its payment status is {status.value}; "
                "only whole orders that are not activated can be cancelled",
            )
        uow.records.request_cancel(number)
        uow.records.add_event(number, "cancel_requested", status.value, status.value, "by the ERP")
        uow.commit()
        return Answer(view_of(res, uow, get(uow, number)), True)


def fee_article(settings: ModuleSettings, currency: str) -> Item | None:
    """The payment method's fee article in the currency, when one is configured."""
    sku = settings.fee_article_sku
    if not sku:
        return None
    prices = fee_prices(settings.fee_article_price)
    if currency not in prices:
        raise invalid([("currency", f"the fee article {sku} has no price in {currency}")])
    return Item(sku, settings.fee_article_name, 1, prices[currency])


def fee_prices(setting: str) -> dict[str, Money]:
    """`EUR:1.50,GBP:1.30` as Money per currency; a bad entry raises ValueError naming it."""
    prices: dict[str, Money] = {}
    for entry in filter(None, (part.strip() for part in setting.split(","))):
        currency, _, amount = entry.partition(":")
        try:
            prices[currency.strip()] = Money(amount.strip(), currency.strip())
        except MoneyError as problem:
            raise ValueError(f"AMAZON_PAYMENTS_FEE_ARTICLE_PRICE: {entry!r}: {problem}") from None
    return prices


def _store_order(res: Resources, document: Document, method: str) -> Answer:
    with res.uow() as uow:
        uow.records.begin_write(document.number)
        existing = uow.documents.get(document.number)
        if existing is not None:
            facts = uow.records.facts(document.number)
            assert facts is not None
            if (
                _content(existing) == _content(document)
                and (facts.payment_method or method) == method
            ):
                return Answer(view_of(res, uow, existing), False)
            raise DocumentError(
                "number_reused", f"{document.number} already exists with other content", ["number"]
            )
        ids = [value for _, value in amazon_ids(document)]
        taken = uow.documents.existing_amazon_ids(ids)
        if taken:
            fields = [name for name, value in amazon_ids(document) if value in taken]
            raise DocumentError(
                "duplicate_amazon_id", f"{', '.join(fields)}: already in the store", fields
            )
        uow.documents.add(document)
        uow.records.mark(document.number, method)
        uow.commit()
        return Answer(view_of(res, uow, get(uow, document.number)), True)


def _content(document: Document) -> tuple[object, ...]:
    return (
        document.doc_type,
        document.currency,
        document.all_items(),
        document.shipping,
        document.customer,
        document.charge_permission_id,
        document.charge_id,
        document.refers_to,
    )


def _check_changeable(uow: UnitOfWork, document: Document) -> None:
    number, status = document.number, document.payment.status
    if document.doc_type is not DocumentType.ORDER:
        raise DocumentError(
            "not_changeable", f"{number} is a {document.doc_type.value}, not an order"
        )
    if uow.records.facts(number).cancel_requested:  # type: ignore[union-attr]
        raise DocumentError("not_changeable", f"{number}: its cancellation was requested")
    if status not in CHANGEABLE:
        raise DocumentError(
            "not_changeable",
            f"{number} cannot be changed: its payment status is {status.value} "
            "(changes are possible before shipment only)",
        )
    if uow.calls.open_calls(uow.documents.id_of(number)):
        raise DocumentError(
            "amazon_call_in_flight",
            f"{number}: an Amazon call for it has no applied outcome yet; try again shortly",
        )


def _permission_allows(res: Resources, number: str, document: Document) -> Money:
    """What the charge permission still allows for this document: its balance plus what this
    document's live authorizations hold (they are renewed, not added to)."""
    if not document.charge_permission_id:
        return document.gross_total
    try:
        permission = res.gateway.permission(document.charge_permission_id)
    except AmazonPayError as problem:
        raise DocumentError(
            "amazon_unavailable", f"the charge permission could not be read: {problem}"
        ) from None
    with res.uow() as uow:
        charges = uow.refs.refs(uow.documents.id_of(number), "charge")
    held = sum(ref.amount_minor or 0 for ref in charges if ref.state in HELD)
    balance = permission.limits.amount_balance if permission.limits else None
    if balance is None:
        return document.gross_total
    return balance + Money.from_minor(held, balance.currency)


__all__ = [
    "Answer",
    "DocumentError",
    "IllegalTransition",
    "change",
    "intake",
    "page",
    "request_cancellation",
    "ship",
    "view",
]
