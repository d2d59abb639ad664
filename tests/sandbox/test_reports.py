"""The Reports API: settlement CSV built from the ledger, listing, pagination, document links."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest

from tests.sandbox.amazon import Signer, fetch
from tests.sandbox.conftest import LEGACY_KEY_ID, Running

SANDBOX_TYPE = "_GET_FLAT_FILE_OFFAMAZONPAYMENTS_SANDBOX_SETTLEMENT_DATA_"
LIVE_TYPE = "_GET_FLAT_FILE_OFFAMAZONPAYMENTS_SETTLEMENT_DATA_"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2} [+-]\d{4}$")


def _close(sandbox: Running) -> list[dict]:
    response = sandbox.admin.http.post("/_admin/settlements/close")
    assert response.status_code == 201
    return response.json()["reports"]


def _download(sandbox: Running, report: dict) -> bytes:
    document = sandbox.api.get(f"report-documents/{report['reportDocumentId']}").json()
    assert document["compressionAlgorithm"] == "N/A"
    response = fetch(document["url"])
    assert response.status_code == 200
    return response.content


def _settled_file(sandbox: Running) -> tuple[bytes, dict[str, str]]:
    first_permission, first = sandbox.captured_charge("100.00", merchantReferenceId="ORD-1")
    _, second = sandbox.captured_charge("10.50", merchantReferenceId="ORD-2")
    refund = sandbox.api.refund(first, "20.00", sandbox.key()).json()["refundId"]
    sandbox.admin.advance(seconds=31)
    (report,) = _close(sandbox)
    ids = {"permission": first_permission, "first": first, "second": second, "refund": refund}
    return _download(sandbox, report), ids


def test_settlement_file_has_the_amazon_pay_csv_layout(sandbox: Running):
    content, _ = _settled_file(sandbox)
    assert content.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in content
    lines = content.decode("utf-8-sig").split("\n")
    assert lines[0] == '"Amazon Payments Advanced",'
    assert lines[1] == '"Settlement Report",'
    assert lines[2] == '"SellerId","A1SANDBOXMERCHANT"'
    assert lines[3].startswith('"SettlementStartDate","') and DATE.match(
        lines[3].split(",")[1].strip('"')
    )
    assert lines[4].startswith('"SettlementEndDate","') and DATE.match(
        lines[4].split(",")[1].strip('"')
    )
    assert lines[5].endswith('"NetTransactionAmount",')
    rows = [line for line in lines[6:] if line]
    assert all(line.startswith('"') and line.endswith('"') for line in rows)
    assert all(line.count('","') == 14 for line in rows)


def test_settlement_header_lines_match_the_real_file(sandbox: Running, samples_dir):
    real = sorted((samples_dir / "smashpig_amazonpay").glob("*SETTLEMENT_DATA*.csv"))
    if not real:
        pytest.skip("no real Amazon Pay settlement sample")
    real_lines = real[0].read_bytes().decode("utf-8-sig").split("\n")
    ours, _ = _settled_file(sandbox)
    our_lines = ours.decode("utf-8-sig").split("\n")
    assert our_lines[:2] == real_lines[:2]
    assert our_lines[5] == real_lines[5]
    assert [line.split(",")[0] for line in our_lines[2:5]] == [
        line.split(",")[0] for line in real_lines[2:5]
    ]


def test_settlement_rows_carry_fees_refunds_and_a_netting_transfer(sandbox: Running):
    content, ids = _settled_file(sandbox)
    rows = list(csv.DictReader(io.StringIO("\n".join(content.decode("utf-8-sig").split("\n")[5:]))))
    by_type: dict[str, list[dict[str, str]]] = {row["TransactionType"]: [] for row in rows}
    for row in rows:
        by_type[row["TransactionType"]].append(row)
    captures = {row["AmazonTransactionId"]: row for row in by_type["Capture"]}
    big, small = captures[ids["first"]], captures[ids["second"]]
    # 1.9 % of 100.00 = 1.90; of 10.50 = 0.1995 -> 0.20 (half-up); fixed fee 0.35.
    assert [
        big[k]
        for k in (
            "TransactionAmount",
            "TransactionPercentageFee",
            "TransactionFixedFee",
            "TotalTransactionFee",
            "NetTransactionAmount",
        )
    ] == ["100.00", "-1.90", "-0.35", "-2.25", "97.75"]
    assert [
        small[k]
        for k in ("TransactionPercentageFee", "TotalTransactionFee", "NetTransactionAmount")
    ] == ["-0.20", "-0.55", "9.95"]
    assert big["AmazonOrderReferenceId"] == ids["permission"]
    assert big["SellerOrderId"] == "ORD-1" and small["SellerOrderId"] == "ORD-2"
    (refund,) = by_type["Refund"]
    assert refund["AmazonTransactionId"] == ids["refund"]
    assert (
        refund["TransactionAmount"],
        refund["TotalTransactionFee"],
        refund["NetTransactionAmount"],
    ) == ("-20.00", "0", "-20.00")
    (transfer,) = by_type["Transfer"]
    assert transfer["TransactionDescription"].startswith("SellerPayments_DateRangeReport")
    assert transfer["TransactionAmount"] == "-87.70"
    nets = sum(Decimal(row["NetTransactionAmount"]) for row in rows)
    assert nets == 0
    for row in rows:
        assert Decimal(row["TotalTransactionFee"]) == Decimal(
            row["TransactionPercentageFee"]
        ) + Decimal(row["TransactionFixedFee"])
        assert Decimal(row["NetTransactionAmount"]) == Decimal(row["TransactionAmount"]) + Decimal(
            row["TotalTransactionFee"]
        )
        assert DATE.match(row["TransactionPostedDate"])
        assert row["CurrencyCode"] == "EUR"
    assert len({row["SettlementId"] for row in rows}) == 1


def test_transactions_settle_once_in_the_period_they_were_posted(sandbox: Running):
    sandbox.captured_charge("10.00")
    assert len(_close(sandbox)) == 1
    assert _close(sandbox) == []  # nothing new: no report
    sandbox.captured_charge("20.00")
    (second,) = _close(sandbox)
    text = _download(sandbox, second).decode("utf-8-sig")
    assert '"Capture"' in text and '"10.00"' not in text and '"20.00"' in text


def test_one_report_per_currency(sandbox: Running):
    sandbox.captured_charge("10.00")
    sandbox.captured_charge("1000", currency="JPY")
    reports = _close(sandbox)
    assert len(reports) == 2
    texts = [_download(sandbox, report).decode("utf-8-sig") for report in reports]
    assert sum('"JPY"' in text for text in texts) == 1
    jpy = next(text for text in texts if '"JPY"' in text)
    # 1.9 % of 1000 JPY = 19; the 0.35 fixed fee rounds to 0 yen.
    assert '"1000","-19","0","-19","981"' in jpy


def test_document_url_expires_after_30_seconds_of_sandbox_time(sandbox: Running):
    sandbox.captured_charge("10.00")
    (report,) = _close(sandbox)
    document = sandbox.api.get(f"report-documents/{report['reportDocumentId']}").json()
    assert fetch(document["url"]).status_code == 200
    sandbox.admin.advance(seconds=31)
    expired = fetch(document["url"])
    assert expired.status_code == 403
    assert b"Request has expired" in expired.content
    fresh = sandbox.api.get(f"report-documents/{report['reportDocumentId']}").json()
    assert fetch(fresh["url"]).status_code == 200


def test_get_reports_pages_newest_first_with_next_token(sandbox: Running):
    created = []
    for amount in ("1.00", "2.00", "3.00"):
        sandbox.captured_charge(amount)
        created += _close(sandbox)
        sandbox.admin.advance(seconds=5)
    first = sandbox.api.get("reports", params=[("pageSize", "2")]).json()
    assert [r["reportId"] for r in first["reports"]] == [
        created[2]["reportId"],
        created[1]["reportId"],
    ]
    assert first["reports"][0]["reportType"] == SANDBOX_TYPE
    assert first["reports"][0]["processingStatus"] == "COMPLETED"
    # New reports do not shift the pages already handed out.
    sandbox.captured_charge("4.00")
    _close(sandbox)
    second = sandbox.api.get("reports", params=[("nextToken", first["nextToken"])]).json()
    assert [r["reportId"] for r in second["reports"]] == [created[0]["reportId"]]
    assert "nextToken" not in second


def test_next_token_with_other_filters_is_refused(sandbox: Running):
    for amount in ("1.00", "2.00"):
        sandbox.captured_charge(amount)
        _close(sandbox)
    token = sandbox.api.get("reports", params=[("pageSize", "1")]).json()["nextToken"]
    response = sandbox.api.get("reports", params=[("nextToken", token), ("pageSize", "1")])
    assert response.status_code == 400
    assert response.json()["reasonCode"] == "InvalidParameterCombination"


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ([("reportTypes", SANDBOX_TYPE)], 1),
        ([("reportTypes", f"{LIVE_TYPE},{SANDBOX_TYPE}")], 1),
        ([("reportTypes", LIVE_TYPE)], 0),
        ([("processingStatuses", "COMPLETED")], 1),
        ([("processingStatuses", "FAILED,CANCELLED")], 0),
        ([("createdSince", "20990101T000000Z")], 0),
        ([("createdUntil", "20000101T000000Z")], 0),
    ],
)
def test_get_reports_filters(sandbox: Running, params, count):
    sandbox.captured_charge("1.00")
    _close(sandbox)
    response = sandbox.api.get("reports", params=params)
    assert response.status_code == 200
    assert len(response.json()["reports"]) == count


@pytest.mark.parametrize(
    "params",
    [
        [("pageSize", "0")],
        [("pageSize", "101")],
        [("reportTypes", "_NOPE_")],
        [("createdSince", "yesterday")],
        [("nextToken", "garbage")],
    ],
)
def test_get_reports_refuses_bad_parameters(sandbox: Running, params):
    response = sandbox.api.get("reports", params=params)
    assert response.status_code == 400
    assert response.json()["reasonCode"] == "InvalidParameterValue"


def test_report_by_id_and_environment_separation(sandbox: Running, private_key):
    sandbox.captured_charge("1.00")
    (report,) = _close(sandbox)
    found = sandbox.api.get(f"reports/{report['reportId']}")
    assert found.json() == report
    live = sandbox.client(Signer(LEGACY_KEY_ID, private_key), prefix="/live/v2")
    assert live.get(f"reports/{report['reportId']}").status_code == 404
    assert live.get("reports").json()["reports"] == []


def test_live_transactions_get_the_live_settlement_type(sandbox: Running, private_key):
    live = sandbox.client(Signer(LEGACY_KEY_ID, private_key), prefix="/live/v2")
    permission = sandbox.admin.checkout("5.00", environment="Live")
    charge = live.create_charge(permission, "5.00", "live-charge").json()["chargeId"]
    assert live.capture(charge, "5.00", "live-capture").status_code == 200
    (report,) = _close(sandbox)
    assert report["reportType"] == LIVE_TYPE
    assert sandbox.api.get("reports").json()["reports"] == []
