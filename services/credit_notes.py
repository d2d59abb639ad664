"""The returns function: a credit note (type *returned*) for lines that came back.

Its refund is one use case, `services.refunds.refund`, whatever starts it (the refund flow, the
sweeper, the command line): it refuses a credit note above the ceiling once and books the
note's own status as Amazon answers.
"""

from __future__ import annotations

from adapters.erp.store import StoreConflict, UnitOfWork
from domain.documents import Document, DocumentType, Item
from domain.erp_requests import Return, read_return
from domain.money import Money
from domain.payment_status import Status
from services.document_access import Answer, get, locked, view_of
from services.document_errors import DocumentError, invalid
from services.resources import Resources

RETURNABLE = (Status.ACTIVATED, Status.PARTIALLY_REFUNDED, Status.REFUNDED)


def create_return(res: Resources, order_number: str, raw: object) -> Answer:
    """A credit note (type *returned*) for returned lines of a shipped order, to be refunded."""
    request = read_return(raw)
    if isinstance(request, list):
        raise invalid(request)
    with res.uow() as uow:
        order = locked(res, uow, order_number)
        if request.number is not None:
            existing = uow.documents.get(request.number)
            if existing is not None:
                if _same_return(existing, order, request):
                    return Answer(view_of(res, uow, existing), False)
                raise DocumentError(
                    "number_reused",
                    f"{request.number} already exists with other content",
                    ["number"],
                )
        if order.payment.status not in RETURNABLE:
            raise DocumentError(
                "not_activated",
                f"{order_number} is not activated (its payment status is "
                f"{order.payment.status.value}): nothing was shipped to return",
            )
        note = _credit_note(uow, order, request)
        uow.documents.add(note)
        uow.records.mark(note.number, uow.records.facts(order_number).payment_method)  # type: ignore[union-attr]
        uow.records.add_event(
            order_number,
            "credit_note",
            "",
            note.number,
            f"credit note {note.number} of {note.gross_total}",
        )
        try:
            uow.commit()
        except StoreConflict:  # the number was taken for another order meanwhile
            raise DocumentError(
                "number_reused", f"{note.number} already exists with other content", ["number"]
            ) from None
        return Answer(view_of(res, uow, get(uow, note.number)), True)


def _credit_note(uow: UnitOfWork, order: Document, request: Return) -> Document:
    lines = {item.sku: item for item in order.all_items()}
    returned: dict[str, int] = {}
    shipping_returned = False
    for note_number in uow.records.credit_notes_of(order.number):
        note = get(uow, note_number)
        for item in note.items:
            returned[item.sku] = returned.get(item.sku, 0) + item.quantity
        shipping_returned = shipping_returned or note.shipping.amount > 0
    faults: list[tuple[str, str]] = []
    over: list[str] = []
    for index, line in enumerate(request.lines):
        if line.sku not in lines:
            faults.append((f"items[{index}].sku", f"{line.sku} is not a line of {order.number}"))
    if faults:
        raise invalid(faults)
    wanted = request.quantities()
    for index, line in enumerate(request.lines):
        left = lines[line.sku].quantity - returned.get(line.sku, 0)
        if wanted[line.sku] > left:
            over.append(f"items[{index}].quantity")
    shipping = request.shipping and order.shipping.amount > 0
    if shipping and shipping_returned:
        over.append("shipping")
    if over:
        raise DocumentError(
            "exceeds_shipped",
            f"the return exceeds what was shipped and not yet returned of {order.number}",
            over,
        )
    items = [
        Item(sku, lines[sku].name, quantity, lines[sku].unit_price)
        for sku, quantity in wanted.items()
    ]
    if not items and not shipping:
        raise invalid([("items", "nothing to refund: the order has no shipping amount")])
    return Document(
        number=request.number or _next_note_number(uow, order.number),
        doc_type=DocumentType.CREDIT_NOTE,
        currency=order.currency,
        items=items,
        shipping=order.shipping if shipping else Money.zero(order.currency),
        customer=order.customer,
        refers_to=order.number,
    )


def _same_return(note: Document, order: Document, request: Return) -> bool:
    if note.doc_type is not DocumentType.CREDIT_NOTE or note.refers_to != order.number:
        return False
    shipping = request.shipping and order.shipping.amount > 0
    mine = {item.sku: item.quantity for item in note.items}
    return mine == request.quantities() and (note.shipping.amount > 0) == shipping


def _next_note_number(uow: UnitOfWork, order: str) -> str:
    count = len(uow.records.credit_notes_of(order))
    while True:
        count += 1
        number = f"{order}-R{count}"
        if len(number) > 64:
            number = f"R{count}-{order[-(62 - len(str(count))) :]}"
        if uow.documents.get(number) is None:
            return number
