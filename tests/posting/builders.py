"""Small settlement reports and ERP documents built in code for the posting tests."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from adapters.erp.schema import DocumentRow, FinanceAccountRow, PaymentRow
from adapters.erp.store import UnitOfWork
from adapters.quality.result import CheckResult, ExpectationOutcome
from adapters.reports import importer
from adapters.reports.report_file import Streamed
from domain.documents import Customer, Document, DocumentType, Item
from domain.money import Money
from domain.settlement.model import FRAME_COLUMNS, ParsedReport, ReportChunk, ReportHeader
from domain.settlement.posting import Accounts
from domain.settlement.states import PostResult, ReportSource

ACCOUNTS = Accounts(income="8400", expenses="4900", fees="4970")
WITH_CLEARING = Accounts(income="8400", expenses="4900", fees="4970", clearing="1360")
POSTED = datetime(2024, 3, 5, 10, 0, tzinfo=UTC)


def row(
    kind: str,
    group: str,
    amount_type: str,
    minor: int,
    *,
    merchant: str | None = None,
    amazon: str | None = None,
    transaction: str | None = None,
    line: int = 1,
    currency: str = "EUR",
) -> dict[str, Any]:
    """One money row of the canonical frame."""
    return {
        "transaction_kind": kind,
        "transaction_type": kind.title(),
        "amazon_order_id": amazon,
        "merchant_order_id": merchant,
        "transaction_id": transaction or f"line-{line}",
        "posted_at": POSTED,
        "amount_group": group,
        "amount_type": amount_type,
        "amount_minor": minor,
        "currency": currency,
        "item_id": f"{line}-{amount_type}",
        "source_line": line,
    }


def order_rows(number: str, principal: int, commission: int, line: int, **ids: str) -> list[dict]:
    """An XML-like order: principal to income, commission to fees."""
    ids = {"merchant": number, "transaction": f"T-{number}", **ids}
    return [
        row("order", "ItemPrice", "Principal", principal, line=line, **ids),
        row("order", "ItemFees", "Commission", commission, line=line + 1, **ids),
    ]


def frame_of(rows: list[dict[str, Any]], settlement_id: str = "900001") -> pd.DataFrame:
    data = {
        name: pd.Series([r.get(name) for r in rows], dtype=dtype)
        for name, dtype in FRAME_COLUMNS.items()
        if name not in ("settlement_id", "report_format")
    }
    frame = pd.DataFrame(data)
    frame.insert(0, "report_format", pd.Series(["xml"] * len(rows), dtype="string"))
    frame.insert(0, "settlement_id", pd.Series([settlement_id] * len(rows), dtype="string"))
    return frame[list(FRAME_COLUMNS)]


def report_of(rows: list[dict[str, Any]], settlement_id: str = "900001") -> ParsedReport:
    """A parsed XML-like report whose stated total is the sum of its rows."""
    frame = frame_of(rows, settlement_id)
    header = ReportHeader(
        settlement_id=settlement_id,
        report_format="xml",
        currency="EUR",
        period_start=datetime(2024, 3, 1, tzinfo=UTC),
        period_end=datetime(2024, 3, 15, tzinfo=UTC),
        stated_total=Money.from_minor(int(frame["amount_minor"].sum()), "EUR"),
    )
    return ParsedReport(header=header, frame=frame)


def verdict(valid: bool = True) -> CheckResult:
    """A check verdict as the quality adapter returns it (valid, or one failed expectation)."""
    outcome = ExpectationOutcome(
        name="sum_equals_stated_total",
        success=valid,
        observed="ok" if valid else "12345 (123.45 EUR)",
        expected="the stated total",
        unexpected_count=0 if valid else 1,
        offending_rows=[] if valid else [{"source_line": 3}],
    )
    return CheckResult.from_outcomes([outcome], suite_name="settlement_report_v1", suite_version=1)


def document(
    number: str,
    gross: str = "10.00",
    *,
    doc_type: DocumentType = DocumentType.ORDER,
    charge_permission: str | None = None,
    charge: str | None = None,
    refers_to: str | None = None,
    currency: str = "EUR",
) -> Document:
    return Document(
        number=number,
        doc_type=doc_type,
        currency=currency,
        items=[Item("TASSE", "Tasse", 1, Money(gross, currency))],
        shipping=Money("0", currency),
        customer=Customer("Erika Mustermann", "erika@example.org"),
        charge_permission_id=charge_permission,
        charge_id=charge,
        refers_to=refers_to,
    )


def store_documents(engine: Engine, *documents: Document) -> None:
    with UnitOfWork(engine) as uow:
        for made in documents:
            uow.documents.add(made)
        uow.commit()


def pay_by_hand(engine: Engine, number: str, minor: int, account: str = "1200") -> None:
    """A payment entered in the ERP by hand: no settlement report behind it."""
    with UnitOfWork(engine) as uow:
        doc = uow.session.query(DocumentRow).filter_by(number=number).one()
        if uow.session.get(FinanceAccountRow, account) is None:
            uow.session.add(FinanceAccountRow(code=account, name="Bank", kind="bank"))
            uow.session.flush()
        uow.session.add(
            PaymentRow(document_id=doc.id, account=account, amount_minor=minor, currency="EUR")
        )
        uow.commit()


def payments_of(engine: Engine) -> list[tuple[str | None, str, int, str | None]]:
    """(document number, account, amount, transaction kind) of every payment, sorted."""
    with UnitOfWork(engine) as uow:
        rows = uow.session.query(PaymentRow, DocumentRow.number).outerjoin(
            DocumentRow, PaymentRow.document_id == DocumentRow.id
        )
        found = [(n, p.account, p.amount_minor, p.transaction_kind) for p, n in rows]
    return sorted(found, key=lambda x: (x[0] or "", x[1], x[2]))


class Given(Streamed):
    """A parsed report with a verdict given by the test, passed as one chunk."""

    def __init__(self, report: ParsedReport, verdict: CheckResult, digest: str | None) -> None:
        super().__init__(io.BytesIO(), 0)
        self.report, self.verdict, self.digest = report, verdict, digest

    def chunks(self) -> Iterator[ReportChunk]:
        return iter([ReportChunk(self.report.header, self.report.frame, 0, final=True)])

    def check(self, chunks: Iterable[ReportChunk]) -> CheckResult:
        for _chunk in chunks:  # the staging happens as the chunks pass
            pass
        return self.verdict

    def sha256(self) -> str | None:
        return self.digest


def post_report(
    engine: Engine,
    report: ParsedReport,
    check: CheckResult,
    accounts: Accounts,
    source: ReportSource,
) -> PostResult:
    """Post through the settlement service, with units of work on this engine."""
    given = Given(report, check, source.sha256)
    posted = importer.post_with(lambda: UnitOfWork(engine), accounts, given, source.name).posted
    assert posted is not None
    return posted


def review_items(engine: Engine, settlement_id: str, limit: int | None = None) -> list[dict]:
    """The review list of one report, read through the unit of work."""
    with UnitOfWork(engine) as uow:
        return uow.settlements.review_items(settlement_id, limit)


def last_success(engine: Engine, source: str) -> datetime | None:
    """When the source was last read completely (the listing cursor)."""
    with UnitOfWork(engine) as uow:
        return uow.cursors.last_success(source)


def record_success(engine: Engine, source: str, when: datetime) -> None:
    with UnitOfWork(engine) as uow:
        uow.cursors.record_success(source, when)
        uow.commit()
