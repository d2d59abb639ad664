"""The ERP store's SQL schema (SQLAlchemy 2), standing in for the ERP's own tables.

Money columns are integer minor units (`*_minor`, BigInteger) beside a currency column: exact on
every database (SQLite has no exact decimal type) and summable in SQL. Amazon ids and
idempotency keys carry unique constraints: the database itself refuses a second charge record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# A JSON column holds one JSON object: Amazon's request and answer, a check result, a row.
JsonObject = dict[str, Any]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored timestamp as tz-aware UTC (SQLite hands back naive UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and read back tz-aware, on SQLite (which drops zones) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: pass a tz-aware time")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class DocumentRow(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    doc_type: Mapped[str] = mapped_column(String(16))
    refers_to: Mapped[str | None] = mapped_column(String(64), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_email: Mapped[str] = mapped_column(String(200))
    payment_status: Mapped[str] = mapped_column(String(32), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    captured_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    dunning_lock: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # 0004: the type the ERP sees (from the settings; doc_type is the kind the logic runs on),
    # the ERP's payment method (None: the module's own), a credit note's own status when it is
    # not read off its refund (refused), and the ERP's cancellation request.
    type_name: Mapped[str | None] = mapped_column(String(32), index=True)
    payment_method: Mapped[str | None] = mapped_column(String(64))
    note_status: Mapped[str | None] = mapped_column(String(16))
    cancel_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    items: Mapped[list[ItemRow]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="ItemRow.position"
    )
    amazon_refs: Mapped[list[AmazonRefRow]] = relationship(back_populates="document")


class ItemRow(Base):
    """Document lines: articles, the shipping line and the payment method's fee article."""

    __tablename__ = "document_items"
    __table_args__ = (UniqueConstraint("document_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # item | shipping | fee
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)

    document: Mapped[DocumentRow] = relationship(back_populates="items")


class AmazonRefRow(Base):
    """An Amazon object belonging to a document: charge permission, charge or refund."""

    __tablename__ = "amazon_refs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # charge_permission | charge | refund
    amazon_id: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str | None] = mapped_column(String(32))
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    document: Mapped[DocumentRow] = relationship(back_populates="amazon_refs")


class AmazonCallRow(Base):
    """Audit log: every Amazon call, recorded with its idempotency key before it is sent."""

    __tablename__ = "amazon_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    operation: Mapped[str] = mapped_column(String(48))
    idempotency_key: Mapped[str | None] = mapped_column(String(32), unique=True)
    request: Mapped[JsonObject | None] = mapped_column(JSON)
    response: Mapped[JsonObject | None] = mapped_column(JSON)
    http_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # 0003: set in the transaction that applied the answer to the document (mutating calls).
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


class StatusEventRow(Base):
    """Payment status history, including late answers that were recorded but not applied."""

    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    applied: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FinanceAccountRow(Base):
    __tablename__ = "finance_accounts"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # income | expenses | fees | clearing


class SettlementReportRow(Base):
    """A settlement report: posted, or rejected with the reason; at most one row per settlement."""

    __tablename__ = "settlement_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    settlement_id: Mapped[str] = mapped_column(String(32), unique=True)
    report_format: Mapped[str] = mapped_column(String(24))
    source: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int | None] = mapped_column(BigInteger)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    validation: Mapped[JsonObject | None] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # 0002: how often an import of this settlement was attempted, and the last file's digest.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    content_sha256: Mapped[str | None] = mapped_column(String(64))


class PaymentRow(Base):
    """A payment on a document, or a booking on the clearing account (no document).

    From a settlement report, one row per document, account, transaction kind and transaction;
    payments entered by hand have no report.
    """

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint(
            "settlement_report_id",
            "document_id",
            "account",
            "transaction_kind",
            "transaction_id",
            name="uq_payments_settlement_group",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    settlement_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("settlement_reports.id"), index=True
    )
    account: Mapped[str] = mapped_column(ForeignKey("finance_accounts.code"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    source_line: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # 0002: what the payment books: the report's transaction kind and ids, how many rows.
    transaction_kind: Mapped[str | None] = mapped_column(String(24))
    transaction_id: Mapped[str | None] = mapped_column(String(64))
    amazon_order_id: Mapped[str | None] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer, default=1)


class ReviewItemRow(Base):
    """A settlement row that was not booked (no document, a paid document ...): never lost."""

    __tablename__ = "settlement_review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    settlement_report_id: Mapped[int] = mapped_column(
        ForeignKey("settlement_reports.id"), index=True
    )
    source_line: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    row: Mapped[JsonObject] = mapped_column(JSON)
    # 0002: the amount in question and the document it concerns, if one matched.
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    document_number: Mapped[str | None] = mapped_column(String(64))


class SettlementCursorRow(Base):
    """Where a source of settlement reports was last read completely (0002)."""

    __tablename__ = "settlement_cursors"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_success_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NotificationRow(Base):
    """An Amazon IPN, stored once by its SNS message id."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(100), unique=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[JsonObject] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuthorizationWaitRow(Base):
    """A suspended `authorize` flow run waiting for Amazon's answer on its document (0005).

    The run id is data here: the sweeper and the notification receiver resume the run (or end
    it) by it, and forget it once the run has reached its end.
    """

    __tablename__ = "authorization_waits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    flow_run_id: Mapped[str] = mapped_column(String(64))
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
