"""Untrusted XML: every refusal is a ReportError with one clear line, and nothing unsafe runs."""

from __future__ import annotations

import io
import time

import pytest

from adapters.settlement_formats.parse import parse_report
from domain.settlement.model import ReportError
from tests.settlement.builders import envelope, order, other, settlement_data

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE AmazonEnvelope [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">\n'
        for n in range(1, 10)
    )
    + "]>\n<AmazonEnvelope><Message><SettlementReport><SettlementData>"
    "<AmazonSettlementID>&lol9;</AmazonSettlementID></SettlementData>"
    "</SettlementReport></Message></AmazonEnvelope>\n"
)


def line_of(text: str, marker: str) -> int:
    """The 1-based line of `text` where `marker` stands (what the message must name)."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if marker in line)


def refusal(data: bytes | str, **options) -> str:
    """The one-line message of the ReportError that parsing `data` raises."""
    raw = data.encode() if isinstance(data, str) else data
    with pytest.raises(ReportError) as caught:
        parse_report(raw, **options)
    message = str(caught.value)
    assert "\n" not in message and message.strip() == message
    return message


@pytest.mark.timeout(10)
def test_a_billion_laughs_document_is_refused_quickly():
    started = time.perf_counter()
    message = refusal(BILLION_LAUGHS)
    assert time.perf_counter() - started < 1.0
    assert "DOCTYPE" in message


@pytest.mark.timeout(10)
def test_external_entities_are_refused_and_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    text = (
        envelope(order())
        .replace(
            "<AmazonEnvelope>",
            f'<!DOCTYPE AmazonEnvelope [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n<AmazonEnvelope>',
        )
        .replace("SKU-1", "&x;")
    )
    message = refusal(text)
    assert "DOCTYPE" in message
    assert "TOP-SECRET" not in message


@pytest.mark.timeout(10)
def test_an_external_dtd_is_refused_without_touching_the_network():
    text = envelope(order()).replace(
        "<AmazonEnvelope>",
        '<!DOCTYPE AmazonEnvelope SYSTEM "http://192.0.2.1/amzn-envelope.dtd">\n<AmazonEnvelope>',
    )
    assert "DOCTYPE" in refusal(text)


def test_an_undeclared_entity_is_malformed_xml():
    message = refusal(envelope(order()).replace("SKU-1", "&nbsp;"))
    assert message.startswith("line ") and "malformed XML" in message


def test_malformed_xml_names_its_line():
    text = envelope(order()).replace("</Order>", "</Ordr>")
    message = refusal(text)
    assert "malformed XML" in message
    assert message.startswith(f"line {line_of(text, '</Ordr>')}:")


def test_a_truncated_report_is_refused():
    text = envelope(order())
    assert "malformed XML" in refusal(text[: len(text) // 2])


def test_a_report_without_settlement_data_is_refused():
    message = refusal(envelope(order(), data=""))
    assert "SettlementData" in message


def test_a_second_settlement_data_is_refused():
    text = envelope(order(), settlement_data("1.00"))
    assert "second SettlementData" in refusal(text)


def test_a_missing_settlement_id_is_refused_with_its_line():
    data = settlement_data("1.00").replace(
        "<AmazonSettlementID>12343546718237647</AmazonSettlementID>", ""
    )
    text = envelope(data=data)
    message = refusal(text)
    line = line_of(text, "<SettlementData>")
    assert message == f"line {line}: SettlementData/AmazonSettlementID: missing or empty"


def test_a_settlement_id_that_is_not_a_number_is_refused():
    data = settlement_data("1.00", settlement_id="12A45")
    assert "expected 1-20 digits, got '12A45'" in refusal(envelope(data=data))


def test_a_non_numeric_amount_names_line_field_and_value():
    text = envelope(other("Storage Fee", "12,50"))
    line = line_of(text, "12,50")
    assert refusal(text) == f"line {line}: amount: expected a decimal amount, got '12,50'"


def test_an_amount_with_more_decimals_than_its_currency_is_refused():
    text = envelope(other("Storage Fee", "1.234"))
    line = line_of(text, "1.234")
    assert refusal(text) == f"line {line}: amount: '1.234' has more than 2 decimals"


def test_an_unknown_currency_is_refused():
    text = envelope(
        other("Storage Fee", "1.00").replace(
            'Amount currency="EUR">1.00', 'Amount currency="XBT">1.00'
        )
    )
    line = line_of(text, "XBT")
    assert refusal(text).startswith(f"line {line}: amount currency: unknown currency 'XBT'")


def test_a_total_without_currency_is_refused():
    data = settlement_data("1.00").replace(' currency="EUR"', "")
    assert "TotalAmount currency: expected a currency code" in refusal(envelope(data=data))


def test_a_bad_posted_date_names_its_line_and_element():
    text = envelope(other("Storage Fee", "1.00").replace("2024-03-06T04:16:37+00:00", "06.03.2024"))
    message = refusal(text)
    line = line_of(text, "06.03.2024")
    assert message.startswith(f"line {line}: OtherTransaction/PostedDate: expected a date-time")
    assert "'06.03.2024'" in message


def test_a_date_without_offset_is_refused():
    data = settlement_data("1.00").replace("2024-03-01T04:17:15+00:00", "2024-03-01T04:17:15")
    assert "SettlementData/StartDate: expected a date-time with offset" in refusal(
        envelope(data=data)
    )


def test_a_quantity_that_is_not_a_whole_number_is_refused():
    message = refusal(
        envelope(order().replace("<Quantity>1</Quantity>", "<Quantity>1.5</Quantity>"))
    )
    assert "Item/Quantity: expected a whole number, got '1.5'" in message


def test_a_foreign_root_is_refused():
    assert "root element is <Invoice>" in refusal(b"<?xml version='1.0'?><Invoice><x/></Invoice>")


def test_a_different_message_type_is_refused():
    text = envelope(order()).replace(
        ">SettlementReport</MessageType>", ">OrderReport</MessageType>"
    )
    assert "MessageType is 'OrderReport'" in refusal(text)


def test_an_empty_input_is_refused():
    assert "empty" in refusal(b"")


def test_bytes_over_the_size_limit_are_refused_before_parsing():
    data = envelope(order()).encode()
    message = refusal(data, max_bytes=len(data) - 1)
    assert (
        message
        == f"the report has {len(data)} bytes, more than the limit of {len(data) - 1} (max_bytes)"
    )


class CountingStream(io.BytesIO):
    """A seekable stream that records how much was read from it."""

    read_calls = 0

    def read(self, size=-1):
        self.read_calls += 1
        return super().read(size)

    def readinto(self, buffer):
        self.read_calls += 1
        return super().readinto(buffer)


def test_a_seekable_stream_over_the_limit_is_refused_without_being_read():
    stream = CountingStream(envelope(order()).encode())
    with pytest.raises(ReportError, match="max_bytes"):
        parse_report(stream, max_bytes=100)
    assert stream.read_calls == 0


class PipeStream(io.RawIOBase):
    """A stream of unknown size, as a pipe or an HTTP body is."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._data.read(min(len(buffer), 500))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_a_stream_of_unknown_size_is_cut_off_at_the_limit():
    data = envelope(*[order(merchant_order_id=f"RE-{n}") for n in range(50)]).encode()
    assert len(parse_report(io.BufferedReader(PipeStream(data))).frame) == 100
    with pytest.raises(ReportError, match="larger than the limit of 5000"):
        parse_report(io.BufferedReader(PipeStream(data)), max_bytes=5000)


def test_text_instead_of_bytes_is_a_programming_error():
    with pytest.raises(TypeError, match="bytes or a binary stream"):
        parse_report(envelope(order()))  # type: ignore[arg-type]
