"""Booking rules and the matching plan of a settlement report: canonical frame in, plan out.

Signs: every amount keeps the report's own sign (settlement-formats.md §2.11): credits to the
seller are positive, fees, promotions and refunds negative, fee reversals on refunds positive.
So income payments are mostly positive, expense and fee payments mostly negative, and the sum of
all payments plus all review rows is exactly the report's sum; nothing is flipped or dropped.

Matching, first hit wins: the transaction id (charge or refund id) among the stored Amazon
references, then the Amazon order id (charge permission id), then the merchant order id as the
document number. A refund-like row that matched an order goes to the one credit note that refers
to that order, when there is exactly one. The ERP's rule: payments only on documents that had no
payment before this report; their rows go to review instead, as do unmatched rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from domain.settlement.states import PostOutcome, PostResult

DOCUMENT_KINDS = frozenset({"order", "refund", "chargeback", "guarantee_claim"})
CLEARING_KINDS = frozenset({"transfer", "reserve", "other"})
# Fees and commissions, whatever the transaction: XML item fees (Commission, FBA fees,
# ShippingChargeback) and their adjustments on refunds, CSV percentage and fixed fees.
FEE_GROUPS = frozenset({"ItemFees", "ItemFeeAdjustments", "Fee"})
FEE_TYPES = frozenset({"Commission", "RefundCommission", "TransactionPercentageFee"})
FEE_TYPES |= {"TransactionFixedFee"}
# The order total the report books (ItemPrice and Promotion of orders) must equal the document's
# gross total to the minor unit; a difference is reported beside the plan, it does not block.
AMOUNT_TOLERANCE_MINOR = 0
PAYMENT_KEY = ["document_number", "account", "transaction_kind", "transaction_id"]
# The frame columns a payment needs (a copy of the whole frame would double the memory).
BOOKED_COLUMNS = ["transaction_kind", "transaction_id", "amazon_order_id", "amount_minor"]
BOOKED_COLUMNS += ["currency", "source_line"]
SAMPLE = 100  # review rows and mismatches carried in a PostResult (all reviews are stored)


@dataclass(frozen=True)
class Accounts:
    """The finance accounts payments are booked to; no clearing account sends those to review."""

    income: str
    expenses: str
    fees: str
    clearing: str | None = None


@dataclass(frozen=True)
class DocumentFacts:
    """What matching needs to know about one stored document."""

    number: str
    doc_type: str
    currency: str
    has_payment: bool
    gross_minor: int = 0
    refers_to: str | None = None


@dataclass
class StoreView:
    """The store's documents and Amazon references that a report's rows can match."""

    documents: dict[str, DocumentFacts] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)  # Amazon id -> document number
    credit_notes: dict[str, list[str]] = field(default_factory=dict)  # order -> credit notes


@dataclass
class PostingPlan:
    """Payments to create and rows to review; `payments` holds one row per PAYMENT_KEY group."""

    payments: pd.DataFrame
    review: pd.DataFrame  # the frame's rows plus `reason` and `document_number`
    booked_rows: int
    mismatches: list[dict[str, object]] = field(default_factory=list)

    @property
    def unmatched_rows(self) -> int:
        return len(self.review)


def account_of(frame: pd.DataFrame, accounts: Accounts) -> pd.Series:
    """The account of every row by kind and amount; NA where no account applies."""
    kind = frame["transaction_kind"].fillna("")
    fee = frame["amount_group"].isin(FEE_GROUPS) | frame["amount_type"].isin(FEE_TYPES)
    rules = (  # first rule that applies wins
        (kind.isin(DOCUMENT_KINDS) & fee.fillna(False), accounts.fees),
        (kind.eq("order"), accounts.income),
        (kind.isin(DOCUMENT_KINDS), accounts.expenses),
        (kind.isin(CLEARING_KINDS), accounts.clearing),
    )
    account = pd.Series(pd.NA, index=frame.index, dtype="string")
    decided = pd.Series(False, index=frame.index)
    for applies, code in rules:
        todo = applies.astype(bool) & ~decided
        if code:
            account[todo] = code
        decided |= todo
    return account


def match_documents(frame: pd.DataFrame, view: StoreView) -> pd.Series:
    """The document number each document-kind row belongs to (NA when none matches)."""
    numbers = pd.Series(list(view.documents), dtype="string")
    by_number = frame["merchant_order_id"].where(frame["merchant_order_id"].isin(numbers))
    by_transaction = frame["transaction_id"].map(view.references).astype("string")
    by_permission = frame["amazon_order_id"].map(view.references).astype("string")
    matched = by_transaction.fillna(by_permission).fillna(by_number)
    refund_like = frame["transaction_kind"].isin(DOCUMENT_KINDS - {"order"}).fillna(False)
    redirect = refund_like & by_transaction.isna() & matched.notna()
    matched[redirect] = matched[redirect].map(lambda n: _credit_note_of(n, view))
    return matched.where(frame["transaction_kind"].isin(DOCUMENT_KINDS).fillna(False))


def _credit_note_of(number: str, view: StoreView) -> str:
    """The single credit note referring to an order, else the order itself (or a marker)."""
    notes = view.credit_notes.get(number, [])
    if len(notes) == 1:
        return notes[0]
    return f"?ambiguous:{number}" if len(notes) > 1 else number


def review_reasons(
    frame: pd.DataFrame, documents: pd.Series, accounts: pd.Series, view: StoreView
) -> pd.Series:
    """Why each row cannot be booked, or NA for a bookable row (first reason wins)."""
    kind = frame["transaction_kind"].fillna("")
    is_doc = kind.isin(DOCUMENT_KINDS)
    currency = documents.map({n: f.currency for n, f in view.documents.items()}).astype("string")
    paid = documents.isin([n for n, f in view.documents.items() if f.has_payment])
    checks: list[tuple[pd.Series, Callable[[pd.Series], pd.Series]]] = [
        (
            ~kind.isin(DOCUMENT_KINDS | CLEARING_KINDS),
            lambda at: "unknown transaction kind '" + kind[at] + "'",
        ),
        (kind.isin(CLEARING_KINDS) & accounts.isna(), lambda at: _no_clearing(kind[at])),
        (
            is_doc & documents.str.startswith("?ambiguous:"),
            lambda at: "several credit notes refer to " + documents[at].str[11:],
        ),
        (is_doc & documents.isna(), lambda at: _no_match(frame.loc[at])),
        (
            is_doc & currency.notna() & currency.ne(frame["currency"]),
            lambda at: "currency " + frame.loc[at, "currency"].fillna("?")
            + " differs from document " + documents[at] + " (" + currency[at] + ")",
        ),
        (is_doc & paid, lambda at: "document " + documents[at] + " already has a payment"),
    ]  # fmt: skip
    reasons = pd.Series(pd.NA, index=frame.index, dtype="string")
    for applies, reason in checks:
        todo = applies.fillna(False).astype(bool) & reasons.isna()
        if todo.any():  # texts are built only for the rows that need them
            reasons[todo] = reason(todo)
    return reasons


def _no_clearing(kind: pd.Series) -> pd.Series:
    return "no clearing account configured (AMAZON_PAYMENTS_ACCOUNT_CLEARING) for " + kind + " rows"


def _no_match(frame: pd.DataFrame) -> pd.Series:
    """'no document matches ...' naming each identifier the row has, each once."""
    rows = zip(
        frame["merchant_order_id"].tolist(),
        frame["amazon_order_id"].tolist(),
        frame["transaction_id"].tolist(),
        strict=True,
    )
    texts = [_no_match_text(*(None if pd.isna(v) else str(v) for v in row)) for row in rows]
    return pd.Series(texts, index=frame.index, dtype="string")


def _no_match_text(merchant: str | None, amazon: str | None, transaction: str | None) -> str:
    parts = [f"merchant order id '{merchant}'"] if merchant else []
    if amazon and amazon != merchant:  # XML: the AmazonOrderID often is the merchant order id
        parts.append(f"Amazon order id '{amazon}'")
    if transaction and not transaction.startswith("line-"):  # "line-7" is made up, not Amazon's
        parts.append(f"transaction id '{transaction}'")
    return "no document matches " + (", ".join(parts) if parts else "(the row has no ids)")


def plan_posting(
    frame: pd.DataFrame, view: StoreView, accounts: Accounts, *, mismatches: bool = True
) -> PostingPlan:
    """Decide for every row of a checked report: which payment it joins, or why it is reviewed.

    Args:
        frame: the whole report, or one chunk of it (payments then group within the chunk).
        mismatches: compare income with the documents' gross totals; off for a chunk, whose
            documents may continue in the next one (see `income_mismatch`).
    """
    account = account_of(frame, accounts)
    documents = match_documents(frame, view)
    reasons = review_reasons(frame, documents, account, view)
    bookable = reasons.isna().astype(bool)
    booked = frame.loc[bookable, BOOKED_COLUMNS].assign(
        account=account[bookable], document_number=documents[bookable]
    )
    review = frame.loc[~bookable].assign(
        reason=reasons[~bookable],
        document_number=documents[~bookable].where(~documents[~bookable].str.startswith("?")),
    )
    payments = _group_payments(booked)
    if int(payments["amount_minor"].sum()) + int(review["amount_minor"].sum()) != int(
        frame["amount_minor"].sum()
    ):
        raise AssertionError("posting plan does not add up to the report")  # a bug, not data
    found = _mismatches(booked[booked["account"].eq(accounts.income)], view) if mismatches else []
    return PostingPlan(payments, review, int(bookable.sum()), found)


def _group_payments(booked: pd.DataFrame) -> pd.DataFrame:
    """One payment per document, account, transaction kind and transaction.

    A group that sums to zero (a refund's empty fee columns) is no payment: nothing is booked.
    """
    grouped = booked.groupby(PAYMENT_KEY, dropna=False, sort=True).agg(
        amount_minor=("amount_minor", "sum"),
        currency=("currency", "first"),
        amazon_order_id=("amazon_order_id", "first"),
        source_line=("source_line", "min"),
        row_count=("amount_minor", "size"),
    )
    grouped = grouped[grouped["amount_minor"].ne(0)]
    return grouped.reset_index()


def _mismatches(income: pd.DataFrame, view: StoreView) -> list[dict[str, object]]:
    """Orders whose amounts booked to income differ from the document's gross total."""
    totals = income.groupby("document_number")["amount_minor"].sum()
    found = []
    for number, booked_minor in totals.items():
        facts = view.documents[str(number)]
        mismatch = income_mismatch(
            str(number), facts.doc_type, int(booked_minor), facts.gross_minor
        )
        if mismatch is not None:
            found.append(mismatch)
    return found


def income_mismatch(
    number: str, doc_type: str, booked_minor: int, gross_minor: int
) -> dict[str, object] | None:
    """An order whose income booked by the report differs from its gross total, else None.

    Credit notes are not compared: their refunds book to expenses.
    """
    if doc_type == "credit_note" or abs(booked_minor - gross_minor) <= AMOUNT_TOLERANCE_MINOR:
        return None
    return {"document": number, "gross_minor": gross_minor, "booked_minor": booked_minor}


def review_records(review: pd.DataFrame) -> list[dict[str, object]]:
    """The review rows as JSON-ready dicts: NA as None, times ISO 8601, ints as ints."""
    if review.empty:
        return []
    data = review.astype(object)
    data["posted_at"] = review["posted_at"].map(lambda t: None if pd.isna(t) else t.isoformat())
    data = data.where(review.notna(), None)
    records: list[dict[str, object]] = data.to_dict("records")  # pandas is untyped here
    return records


@dataclass
class PostingTotals:
    """What the plans of a report's chunks add up to; their payments are summed in the store."""

    booked_rows: int = 0
    review_rows: int = 0
    review_sample: list[dict[str, object]] = field(default_factory=list)  # the first SAMPLE
    mismatches: list[dict[str, object]] = field(default_factory=list)  # the first SAMPLE
    mismatch_count: int = 0

    def add(self, plan: PostingPlan) -> None:
        """Count one chunk's plan in, keeping the first review rows as a sample."""
        self.booked_rows += plan.booked_rows
        self.review_rows += plan.unmatched_rows
        room = SAMPLE - len(self.review_sample)
        if room > 0 and plan.unmatched_rows:
            self.review_sample += review_records(plan.review.head(room))

    def add_mismatch(self, mismatch: dict[str, object] | None) -> None:
        """Count an order's income mismatch (None: none), keeping the first SAMPLE."""
        if mismatch is None:
            return
        self.mismatch_count += 1
        if len(self.mismatches) < SAMPLE:
            self.mismatches.append(mismatch)

    def result(self, settlement_id: str, payments_created: int, attempts: int) -> PostResult:
        """What posting the summed payments and the review rows does."""
        return PostResult(
            settlement_id,
            PostOutcome.POSTED,
            payments_created=payments_created,
            unmatched_rows=self.review_rows,
            booked_rows=self.booked_rows,
            attempts=attempts,
            mismatches=self.mismatches,
            mismatch_count=self.mismatch_count,
            review_sample=self.review_sample,
        )
