"""Reports: filters and paging as signed query strings; downloads right after the document."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import httpx
import pytest

from adapters.amazon_pay import Unauthorized, UnexpectedResponse
from tests.amazon_pay.fakes import (
    error_response,
    json_response,
    verify_wire_request,
)

DOC = "amzn1.tortuga.0.000000000-0000-0000-0000-000000000000.00000000000000"


def _sent(recorder) -> tuple[str, str, dict | None]:
    request = recorder.requests[-1]
    body = json.loads(request.content) if request.content else None
    return request.method, request.url.raw_path.decode(), body


def _report(n: int) -> dict:
    return {
        "reportId": f"R{n}",
        "reportType": "_GET_FLAT_FILE_OFFAMAZONPAYMENTS_SETTLEMENT_DATA_",
        "processingStatus": "COMPLETED",
        "createdTime": "20240401T010000Z",
        "reportDocumentId": f"D{n}",
    }


def test_get_reports_sends_filters_canonically_and_pages_with_only_the_token(
    make_client, recorder, key
) -> None:
    recorder.answers += [
        json_response(200, {"reports": [_report(1), _report(2)], "nextToken": "t+1/2=="}),
        json_response(200, {"reports": [_report(3)], "nextToken": None}),
    ]
    reports = list(make_client().iter_reports(
        report_types=["_GET_FLAT_FILE_OFFAMAZONPAYMENTS_SETTLEMENT_DATA_", "_X_"],
        processing_statuses=["COMPLETED"],
        created_since=datetime(2024, 4, 1, tzinfo=UTC),
        created_until=datetime(2024, 4, 30, 23, 59, 59, tzinfo=UTC),
        page_size=2,
    ))  # fmt: skip
    assert [r.report_id for r in reports] == ["R1", "R2", "R3"]
    first, second = recorder.requests
    assert first.url.query.decode() == (
        "createdSince=20240401T000000Z&createdUntil=20240430T235959Z&pageSize=2"
        "&processingStatuses=COMPLETED"
        "&reportTypes=_GET_FLAT_FILE_OFFAMAZONPAYMENTS_SETTLEMENT_DATA_%2C_X_"
    )
    assert second.url.query.decode() == "nextToken=t%2B1%2F2%3D%3D"
    for request in recorder.requests:
        verify_wire_request(request, key.public)


def test_get_reports_refuses_a_token_together_with_filters(make_client) -> None:
    with pytest.raises(ValueError, match="either next_token or filters"):
        make_client().get_reports(next_token="t", page_size=5)
    with pytest.raises(ValueError, match="tz-aware"):
        make_client().get_reports(created_since=datetime(2024, 4, 1))


def test_get_report_and_report_document(make_client, recorder) -> None:
    recorder.answers += [
        json_response(200, _report(1)),
        json_response(
            200,
            {
                "reportDocumentId": DOC,
                "url": "https://s3.example/doc?sig=1",
                "compressionAlgorithm": "N/A",
            },
        ),
    ]
    client = make_client()
    assert client.get_report("R1").report_document_id == "D1"
    assert _sent(recorder)[:2] == ("GET", "/sandbox/v2/reports/R1")
    assert client.get_report_document(DOC).url == "https://s3.example/doc?sig=1"
    assert _sent(recorder)[:2] == ("GET", f"/sandbox/v2/report-documents/{DOC}")


def _documents_and_files(files: dict[str, httpx.Response]):
    """API answers a fresh URL per Get Report Document; the file host answers per URL."""
    issued: list[str] = []

    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.host == "files.example":
            return files[str(request.url)]
        url = f"https://files.example/doc?sig={len(issued) + 1}"
        issued.append(url)
        return json_response(
            200, {"reportDocumentId": DOC, "url": url, "compressionAlgorithm": "N/A"}
        )

    return respond, issued


def test_download_follows_the_document_at_once_without_amazon_headers(make_client, recorder):
    respond, issued = _documents_and_files(
        {"https://files.example/doc?sig=1": httpx.Response(200, content=b"a,b\n1,2\n")}
    )
    recorder.respond = respond
    assert make_client().download_report_document(DOC) == b"a,b\n1,2\n"
    assert issued == ["https://files.example/doc?sig=1"]
    assert "authorization" not in recorder.requests[1].headers


def test_an_expired_download_url_is_fetched_again_once(make_client, recorder) -> None:
    respond, issued = _documents_and_files({
        "https://files.example/doc?sig=1": httpx.Response(403, text="Request has expired"),
        "https://files.example/doc?sig=2": httpx.Response(200, content=b"report"),
    })  # fmt: skip
    recorder.respond = respond
    assert make_client().download_report_document(DOC) == b"report"
    assert len(issued) == 2


def test_a_url_that_keeps_expiring_fails_after_one_refetch(make_client, recorder) -> None:
    expired = httpx.Response(403, text="<Error><Code>AccessDenied</Code></Error>")
    respond, issued = _documents_and_files(
        {f"https://files.example/doc?sig={n}": expired for n in (1, 2, 3)}
    )
    recorder.respond = respond
    with pytest.raises(Unauthorized) as caught:
        make_client().download_report_document(DOC)
    assert len(issued) == 2
    assert "sig=" not in str(caught.value)


def test_download_size_is_bounded_and_gzip_documents_are_inflated(make_client, recorder):
    recorder.respond = lambda request: (
        httpx.Response(200, content=gzip.compress(b"x" * 1000))
        if request.url.host == "files.example"
        else json_response(
            200,
            {
                "reportDocumentId": DOC,
                "url": "https://files.example/d",
                "compressionAlgorithm": "GZIP",
            },
        )
    )
    client = make_client()
    assert client.download_report_document(DOC) == b"x" * 1000
    with pytest.raises(UnexpectedResponse, match="larger than 999 bytes"):
        client.download_report_document(DOC, max_bytes=999)
    with pytest.raises(UnexpectedResponse, match="larger than the limit of 10 bytes"):
        client.download_report_document(DOC, max_bytes=10)


def test_a_server_error_on_download_is_retried(make_client, recorder, clock) -> None:
    answers = [error_response(503, "SlowDown"), httpx.Response(200, content=b"ok")]
    recorder.respond = lambda request: (
        answers.pop(0)
        if request.url.host == "files.example"
        else json_response(200, {"reportDocumentId": DOC, "url": "https://files.example/d"})
    )
    assert make_client().download_report_document(DOC) == b"ok"
    assert clock.sleeps == [1.0]
