"""Engine, unit of work and the document repository of the ERP store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from adapters.erp.amazon_refs import AmazonRefs
from adapters.erp.calls import CallJournal
from adapters.erp.changes import Publisher, watch
from adapters.erp.schema import AmazonRefRow, DocumentRow, ItemRow, StatusEventRow
from adapters.erp.work_queue import WorkQueue, find_work
from domain.documents import Customer, Document, DocumentType, Item
from domain.money import Money
from domain.payment_status import PaymentState, Status, Transition

if TYPE_CHECKING:
    from adapters.erp.cases import CaseRepository
    from adapters.erp.records import DocumentRecords
    from adapters.erp.settlements import SettlementCursors, SettlementRepository
    from adapters.erp.waits import Waits
    from domain.open_items import Candidate

# The ERP's document type after a payment status: (kind, new status, current type) -> type.
TypeRule = Callable[[str, Status, "str | None"], str]


def make_engine(url: str) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite files get their folder and foreign keys."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: DBAPIConnection, _record: object) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class UnitOfWork:
    """A transaction that rolls back unless `commit()` was called before the block ends.

    With `publish` set, the applied status changes are handed to it after each commit.
    """

    publish: Publisher | None = None

    def __init__(self, engine: Engine, types: TypeRule | None = None) -> None:
        self._engine = engine
        self._types = types
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = Session(self._engine, expire_on_commit=False)
        self.documents = DocumentRepository(self.session, self._types)
        self.refs = AmazonRefs(self.session)
        self.calls = CallJournal(self.session)
        if self.publish is not None:
            watch(self.session, self.publish)
        return self

    @property
    def cases(self) -> CaseRepository:
        """Documents with their Amazon objects and open calls, for the order use cases."""
        from adapters.erp.cases import CaseRepository

        return CaseRepository(self.documents, self.refs, self.calls)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        """Commit; a unique constraint that refuses the change raises `StoreConflict`."""
        try:
            self.session.commit()
        except IntegrityError as problem:
            raise StoreConflict(str(problem.orig)) from problem

    # The settlement repositories are imported at first use: they bring pandas, which the
    # order processes and the notification receiver do without.
    @property
    def settlements(self) -> SettlementRepository:
        """Settlement reports, their payments and the review list."""
        from adapters.erp.settlements import SettlementRepository

        return SettlementRepository(self.session)

    @property
    def cursors(self) -> SettlementCursors:
        """How far each settlement report source was read completely."""
        from adapters.erp.settlements import SettlementCursors

        return SettlementCursors(self.session)

    @property
    def records(self) -> DocumentRecords:
        """What the ERP interface reads and records beside the documents (history, requests)."""
        from adapters.erp.records import DocumentRecords

        return DocumentRecords(self.session)

    @property
    def waits(self) -> Waits:
        """The suspended authorization runs waiting on documents (`adapters.erp.waits`)."""
        from adapters.erp.waits import Waits

        return Waits(self.session)

    def work(self, now: datetime, timeout: timedelta, limit: int, pending_polls: int) -> WorkQueue:
        """What the sweeper has to do now (see `adapters.erp.work_queue`)."""
        return find_work(self.session, now, timeout, limit, pending_polls)

    def open_item_candidates(self, now: datetime, limit: int) -> list[Candidate]:
        """Documents that may be open items (see `adapters.erp.open_items`)."""
        from adapters.erp.open_items import candidates

        return candidates(self.session, now, limit)


# Values per IN (...) query: below SQLite's 32766 and PostgreSQL's 65535 bound parameters.
IN_CHUNK = 1000


class StoreConflict(ValueError):
    """The store refused a commit: another transaction holds what this one wanted unique."""


class DuplicateDocument(ValueError):
    """A document number that the store already holds."""


class UnknownDocument(KeyError):
    """A document number that the store does not hold."""

    def __str__(self) -> str:
        return str(self.args[0])


class DocumentRepository:
    """Documents in and out of the store, as domain objects."""

    def __init__(self, session: Session, types: TypeRule | None = None) -> None:
        self.session = session
        self.types = types  # given: the ERP's document type follows the payment status

    def add(self, document: Document) -> None:
        """Stage a new document (with its Amazon references); commit through the unit of work."""
        if self._row(document.number) is not None:
            raise DuplicateDocument(f"document {document.number} already exists")
        row = _to_row(document)
        if self.types is not None:
            row.type_name = self.types(row.doc_type, document.payment.status, None)
        self.session.add(row)
        self.session.flush()
        for kind, amazon_id in (
            ("charge_permission", document.charge_permission_id),
            ("charge", document.charge_id),
        ):
            if amazon_id:
                self.session.add(AmazonRefRow(document=row, kind=kind, amazon_id=amazon_id))

    def existing_numbers(self, numbers: list[str]) -> set[str]:
        """Which of these document numbers the store already holds."""
        return self._existing(DocumentRow.number, numbers)

    def existing_amazon_ids(self, amazon_ids: list[str]) -> set[str]:
        """Which of these Amazon ids (of any kind) the store already holds."""
        return self._existing(AmazonRefRow.amazon_id, amazon_ids)

    def _existing(self, column: InstrumentedAttribute[str], values: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(values), IN_CHUNK):  # databases cap the parameters of a query
            chunk = values[start : start + IN_CHUNK]
            found.update(self.session.scalars(select(column).where(column.in_(chunk))))
        return found

    def get(self, number: str, *, lock: bool = False) -> Document | None:
        """A document by number; `lock` holds its row until the unit of work ends (PostgreSQL)."""
        row = self._row(number, lock=lock)
        return None if row is None else _from_row(row)

    def id_of(self, number: str, *, lock: bool = False) -> int:
        """The row id of a document; `lock` holds its row until the unit of work ends."""
        query = select(DocumentRow.id).where(DocumentRow.number == number)
        if lock:
            query = query.with_for_update()
        found = self.session.scalar(query)
        if found is None:
            raise UnknownDocument(f"no document {number}")
        return found

    def reason_of(self, number: str) -> str:
        """Why the document is in its payment status (the last applied change's reason)."""
        query = select(DocumentRow.status_reason).where(DocumentRow.number == number)
        return self.session.scalar(query) or ""

    def save_payment(self, number: str, document: Document, transition: Transition) -> None:
        """Store the document's new payment state and the event that led to it."""
        row = self._row(number)
        if row is None:
            raise KeyError(number)
        state = document.payment
        row.payment_status = state.status.value
        row.captured_minor = state.captured.to_minor()
        row.refunded_minor = state.refunded.to_minor()
        row.status_reason = transition.reason or row.status_reason
        self.session.add(
            StatusEventRow(
                document_id=row.id,
                event=transition.event.value,
                from_status=transition.before.value,
                to_status=transition.after.value,
                applied=transition.applied,
                detail=transition.reason or None,
            )
        )
        if self.types is not None:
            self._follow_type(row, self.types(row.doc_type, state.status, row.type_name))

    def _follow_type(self, row: DocumentRow, type_name: str) -> None:
        """Give the document its new type, with a history row, when the payment changed it."""
        if type_name == row.type_name:
            return
        if row.type_name is None:  # stored before the types were kept: no change to show
            row.type_name = type_name
            return
        self.session.add(
            StatusEventRow(
                document_id=row.id,
                event="type_changed",
                from_status=row.type_name,
                to_status=type_name,
                applied=True,
                detail=None,
            )
        )
        row.type_name = type_name

    def _row(self, number: str, lock: bool = False) -> DocumentRow | None:
        query = (
            select(DocumentRow)
            .where(DocumentRow.number == number)
            .options(selectinload(DocumentRow.items), selectinload(DocumentRow.amazon_refs))
        )
        if lock:
            query = query.with_for_update(of=DocumentRow)
        return self.session.scalars(query).one_or_none()


def _to_row(document: Document) -> DocumentRow:
    lines = [("item", item) for item in document.items]
    if document.fee_article:
        lines.append(("fee", document.fee_article))
    items = [
        ItemRow(
            position=position,
            kind=kind,
            sku=item.sku,
            name=item.name,
            quantity=item.quantity,
            unit_price_minor=item.unit_price.to_minor(),
        )
        for position, (kind, item) in enumerate(lines, start=1)
    ]
    items.append(
        ItemRow(
            position=len(items) + 1,
            kind="shipping",
            sku="SHIPPING",
            name="Shipping",
            quantity=1,
            unit_price_minor=document.shipping.to_minor(),
        )
    )
    state = document.payment
    return DocumentRow(
        number=document.number,
        doc_type=document.doc_type.value,
        refers_to=document.refers_to,
        currency=document.currency,
        customer_name=document.customer.name,
        customer_email=document.customer.email,
        payment_status=state.status.value,
        captured_minor=state.captured.to_minor(),
        refunded_minor=state.refunded.to_minor(),
        dunning_lock=document.dunning_lock,
        items=items,
    )


def _from_row(row: DocumentRow) -> Document:
    currency = row.currency

    def item(line: ItemRow) -> Item:
        return Item(
            line.sku, line.name, line.quantity, Money.from_minor(line.unit_price_minor, currency)
        )

    shipping = [line for line in row.items if line.kind == "shipping"]
    fees = [item(line) for line in row.items if line.kind == "fee"]
    refs = {ref.kind: ref.amazon_id for ref in row.amazon_refs if ref.kind != "refund"}
    document = Document(
        number=row.number,
        doc_type=DocumentType(row.doc_type),
        currency=currency,
        items=[item(line) for line in row.items if line.kind == "item"],
        shipping=Money.from_minor(shipping[0].unit_price_minor if shipping else 0, currency),
        customer=Customer(row.customer_name, row.customer_email),
        charge_permission_id=refs.get("charge_permission"),
        charge_id=refs.get("charge"),
        fee_article=fees[0] if fees else None,
        refers_to=row.refers_to,
        dunning_lock=row.dunning_lock,
    )
    document.payment = PaymentState(
        Status(row.payment_status),
        Money.from_minor(row.captured_minor, currency),
        Money.from_minor(row.refunded_minor, currency),
    )
    return document
