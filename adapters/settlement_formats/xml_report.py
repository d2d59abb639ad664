"""Streaming parser of Amazon's XML settlement report (`GET_V2_SETTLEMENT_REPORT_DATA_XML`).

lxml `iterparse` delivers only the envelope, `SettlementData` and the transaction elements (a
C-level tag filter); each transaction is read, cleared and unlinked from its parent before the
next, and the rows go out in chunks of whole transactions, so memory follows the chunk, not the
file. The input is untrusted: no DTD is accepted
(no entities to expand, nothing external to load), no network, lxml's default tree limits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from lxml import etree

from adapters.settlement_formats.frame import build_frame, concat_chunks
from adapters.settlement_formats.values import (
    check_amount_sum,
    currency_decimals,
    minor_column,
    parse_timestamp,
    to_minor,
    where,
)
from adapters.settlement_formats.xml_rows import XmlRows
from adapters.settlement_formats.xml_transactions import (
    KIND_OF_ELEMENT,
    line_of,
    local_name,
    read_transaction,
)
from domain.money import Money
from domain.settlement.model import (
    DEFAULT_CHUNK_ROWS,
    ParsedReport,
    ReportChunk,
    ReportError,
    ReportHeader,
)

REPORT_FORMAT = "xml"
_ROOT = "AmazonEnvelope"
_PARENT = "SettlementReport"
_TAGS = tuple(f"{{*}}{name}" for name in (_ROOT, "MessageType", "SettlementData", *KIND_OF_ELEMENT))
_KNOWN_CHILDREN = frozenset({"SettlementData", *KIND_OF_ELEMENT})
_SETTLEMENT_FIELDS = ("AmazonSettlementID", "TotalAmount", "StartDate", "EndDate", "DepositDate")


def parse_xml_report(stream: IO[bytes]) -> ParsedReport:
    """Parse an XML settlement report from a binary stream into header and canonical frame."""
    return concat_chunks(iter_xml_report(stream, chunk_rows=None))


def iter_xml_report(
    stream: IO[bytes], *, chunk_rows: int | None = DEFAULT_CHUNK_ROWS
) -> Iterator[ReportChunk]:
    """Parse an XML settlement report from a binary stream, yielding frames of whole transactions.

    Args:
        chunk_rows: a chunk is yielded once it holds this many money rows (whole transactions,
            so it may hold a few more); None collects the whole report into one chunk.
    """
    reader = _XmlReader()
    events = etree.iterparse(
        stream,
        events=("start", "end"),  # the root's start comes before any content: check it then
        tag=_TAGS,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        for event, element in events:
            if event == "end":
                reader.handle(element)
                if chunk_rows is not None and len(reader.rows) >= chunk_rows and reader.settlement:
                    yield reader.chunk(final=False)
            elif not reader.checked:
                reader.check(element)
        reader.finish(events.root)
    except etree.XMLSyntaxError as error:
        message = " ".join(str(error.msg).split())  # one line, whatever libxml2 says
        raise ReportError(f"line {error.lineno}: malformed XML: {message}") from None
    yield reader.chunk(final=True)


def _local(element: etree._Element) -> str:
    return local_name(element.tag)


class _XmlReader:
    """State of one streaming pass: header fields, row columns, skipped elements."""

    def __init__(self) -> None:
        self.rows = XmlRows()
        self.skipped: Counter[str] = Counter()
        self.settlement: _SettlementData | None = None
        self.checked = False
        self.report_element: etree._Element | None = None
        self.header: ReportHeader | None = None
        self.magnitudes = 0  # absolute amounts of the chunks so far, added up
        self.rows_done = 0  # rows of the chunks so far

    def check(self, element: etree._Element) -> None:
        """At the first event the prolog (any DOCTYPE) is parsed, the content not yet."""
        _refuse_unsafe_or_foreign(element.getroottree())
        self.checked = True

    def handle(self, element: etree._Element) -> None:
        """One end event of a filtered tag: read it, then free it."""
        if not self.checked:
            self.check(element)
        name = _local(element)
        if name == "MessageType":
            _check_message_type(element)
            return
        parent = element.getparent()
        if name == _ROOT or parent is None:
            return
        if _local(parent) != _PARENT:
            self._skip_misplaced(element, name, parent)
            return
        if name == "SettlementData":
            self._read_settlement_data(element)
        else:
            unit = read_transaction(element, name, self.skipped)
            self.rows.add(unit, line_of(element), self.skipped)
        self._release(element, parent)

    def _read_settlement_data(self, element: etree._Element) -> None:
        if self.settlement is not None:
            raise ReportError(
                f"line {line_of(element)}: a second SettlementData: one report, one settlement"
            )
        self.settlement = _SettlementData(line_of(element))
        for child in element:
            name = _local(child)
            if name in _SETTLEMENT_FIELDS:
                stated = _Stated(child.text, line_of(child), child.get("currency"))
                self.settlement.fields[name] = stated
            else:
                self.skipped[f"SettlementData/{name}"] += 1

    def _release(self, element: etree._Element, parent: etree._Element) -> None:
        """Free a processed element and the siblings before it, counting unknown ones."""
        self.report_element = parent
        element.clear()
        while element.getprevious() is not None:
            self._count_unknown(parent[0])
            del parent[0]

    def _count_unknown(self, element: etree._Element) -> None:
        name = _local(element)
        if name not in _KNOWN_CHILDREN:
            self.skipped[name] += 1

    def _skip_misplaced(self, element: etree._Element, name: str, parent: etree._Element) -> None:
        """A transaction tag outside SettlementReport: inside a transaction it is read with
        that transaction; elsewhere it is counted and left alone."""
        ancestors = {_local(ancestor) for ancestor in element.iterancestors()}
        if ancestors & _KNOWN_CHILDREN:
            return
        self.skipped[f"{_local(parent)}/{name}"] += 1

    def finish(self, root: etree._Element | None) -> None:
        """Checks for a document that produced no events, and unknown trailing siblings."""
        if root is None:
            raise ReportError("line 1: empty document: expected an AmazonEnvelope")
        if not self.checked:
            _refuse_unsafe_or_foreign(root.getroottree())
        if self.report_element is not None:
            for child in self.report_element:
                self._count_unknown(child)

    def chunk(self, *, final: bool) -> ReportChunk:
        """The rows read since the last chunk, as a frame; they are then forgotten."""
        if self.settlement is None:
            raise ReportError(
                f"no {_PARENT}/SettlementData element: not a settlement report, or truncated"
            )
        if self.header is None:
            self.header = self.settlement.header()
        columns = self.rows.take()
        texts = columns.pop("amount_text")
        amounts = minor_column(texts, columns["currency"], columns["source_line"], "amount")
        self.magnitudes = check_amount_sum(
            amounts, columns["source_line"], "amount", self.magnitudes
        )
        columns["amount_minor"] = amounts
        frame = build_frame(
            columns, {"settlement_id": self.header.settlement_id, "report_format": REPORT_FORMAT}
        )
        first_row, self.rows_done = self.rows_done, self.rows_done + len(frame)
        return ReportChunk(
            header=self.header,
            frame=frame,
            first_row=first_row,
            final=final,
            skipped_elements=dict(self.skipped),
        )


def _refuse_unsafe_or_foreign(tree: etree._ElementTree) -> None:
    """Refuse any DOCTYPE (entity bombs, external entities) and roots other than AmazonEnvelope."""
    docinfo = tree.docinfo
    if docinfo.internalDTD is not None or docinfo.system_url or docinfo.public_id:
        raise ReportError(
            "line 1: DOCTYPE/DTD declarations are refused: settlement reports have none "
            "(entity expansion and external entities are unsafe)"
        )
    root = tree.getroot()
    if _local(root) != _ROOT:
        raise ReportError(
            f"line {line_of(root)}: root element is <{_local(root)}>, expected <{_ROOT}>: "
            "not an Amazon settlement report"
        )


def _check_message_type(element: etree._Element) -> None:
    text = (element.text or "").strip()
    if text != "SettlementReport":
        raise ReportError(
            f"line {line_of(element)}: MessageType is {text!r}, expected 'SettlementReport'"
        )


@dataclass(frozen=True)
class _Stated:
    """A SettlementData child as found: its text, line and currency attribute."""

    text: str | None
    line: int | None
    currency: str | None = None


class _SettlementData:
    """The fields of SettlementData, turned into a ReportHeader once the pass is done."""

    def __init__(self, line: int | None) -> None:
        self.line = line
        self.fields: dict[str, _Stated] = {}

    def required(self, name: str) -> _Stated:
        stated = self.fields.get(name, _Stated(None, self.line))
        if stated.text is None or not stated.text.strip():
            raise ReportError(f"{where(stated.line, f'SettlementData/{name}')}: missing or empty")
        return _Stated(stated.text.strip(), stated.line, stated.currency)

    def timestamp(self, name: str) -> datetime:
        stated = self.required(name)
        return parse_timestamp(stated.text, stated.line, f"SettlementData/{name}")

    def header(self) -> ReportHeader:
        """The header; a missing or malformed required field is refused."""
        settlement_id = self.required("AmazonSettlementID")
        text = settlement_id.text or ""
        if not (text.isascii() and text.isdigit() and len(text) <= 20):
            raise ReportError(
                f"{where(settlement_id.line, 'SettlementData/AmazonSettlementID')}: "
                f"expected 1-20 digits, got {text!r}"
            )
        total = self.required("TotalAmount")
        field = "SettlementData/TotalAmount"
        decimals = currency_decimals(total.currency, total.line, f"{field} currency")
        currency = str(total.currency)  # known: currency_decimals refuses a missing one
        deposit = self.fields.get("DepositDate")
        has_deposit = deposit is not None and bool(deposit.text and deposit.text.strip())
        return ReportHeader(
            settlement_id=text,
            report_format=REPORT_FORMAT,
            currency=currency,
            period_start=self.timestamp("StartDate"),
            period_end=self.timestamp("EndDate"),
            deposit_date=self.timestamp("DepositDate") if has_deposit else None,
            stated_total=Money.from_minor(
                to_minor(total.text, decimals, total.line, field), currency
            ),
        )
