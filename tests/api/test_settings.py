"""The settings the ERP sees: document types per outcome, the fee article, refused credit notes."""

import pytest

from adapters.settings import ModuleSettings
from tests.api.conftest import order_body
from tests.orders.conftest import credit_note


@pytest.fixture
def settings() -> ModuleSettings:
    return ModuleSettings(
        database_url="sqlite://",
        doc_type_pending="Auftrag offen",
        doc_type_successful="Auftrag",
        doc_type_failed="Auftrag abgelehnt",
        doc_type_shipped="Rechnung",
        doc_type_returned="Gutschrift",
        fee_article_sku="AMZ-FEE",
        fee_article_price="EUR:1.50,GBP:1.30",
    )


def test_the_document_type_follows_the_payment_with_the_configured_names(api):
    assert api.order("HB1").json()["type"] == "Auftrag offen"
    api.sweep()
    assert api.get("HB1")["type"] == "Auftrag"
    assert api.http.post("/documents/HB1/shipment").json()["type"] == "Rechnung"
    api.sweep()
    changes = [
        (h["from"], h["to"]) for h in api.get("HB1")["history"] if h["event"] == "type_changed"
    ]
    assert changes == [("Auftrag offen", "Auftrag"), ("Auftrag", "Rechnung")]
    note = api.http.post("/documents/HB1/returns", json={"shipping": True}).json()
    assert (note["type"], note["number"]) == ("Gutschrift", "HB1-R1")
    assert [
        d["number"]
        for d in api.http.get("/documents", params={"type": "Gutschrift"}).json()["documents"]
    ] == ["HB1-R1"]


def test_a_declined_order_takes_the_failed_type(api):
    permission = api.amazon.checkout("46.40", paymentDescriptor="Visa ****4354")
    api.http.post("/orders", json=order_body("HB1", permission))
    api.sweep()  # authorizes: Amazon decides later
    api.amazon.advance(minutes=1)
    api.sweep()  # polls: declined
    document = api.get("HB1")
    assert (document["payment_status"], document["type"]) == ("failed", "Auftrag abgelehnt")


def test_the_fee_article_is_a_line_of_every_amazon_order_and_authorized_with_it(api):
    body = api.order("HB1").json()
    assert body["items"][-1] == {
        "sku": "AMZ-FEE",
        "name": "Amazon Pay fee",
        "quantity": 1,
        "unit_price": "1.50",
    }
    assert body["gross_total"] == "46.40"
    api.sweep()
    (charge,) = api.amazon.ledger()["charges"]
    assert charge["chargeAmount"]["amount"] == "46.40"
    other = api.order("HB2", payment_method="Vorkasse").json()
    assert [item["sku"] for item in other["items"]] == ["TASSE-WEISS"]


def test_a_credit_note_above_the_refund_ceiling_is_refused_once_with_the_reason(api):
    api.order("HB1")
    api.sweep()
    api.http.post("/documents/HB1/shipment")
    api.sweep()
    credit_note(api.res, "GS9", "HB1", "80.00")  # written by hand, past Amazon's allowance
    assert "exceeds what may still be refunded" in api.sweep()["problems"]["GS9"]
    note = api.get("GS9")
    assert note["payment_status"] == "refused"
    assert "exceeds" in note["status_reason"]
    assert [h["event"] for h in note["history"]] == ["refund_refused"]
    assert api.sweep()["worked"]["refund"] == 0
    assert api.amazon.ledger()["refunds"] == []
