"""An order's life driven by the ERP over HTTP: intake, change, shipment, returns."""

from decimal import Decimal

from tests.api.conftest import order_body


def captures(api) -> list[str]:
    return [
        c["captureAmount"]["amount"]
        for c in api.amazon.ledger()["charges"]
        if c["statusDetails"]["state"] == "Captured"
    ]


def test_an_order_taken_in_is_pending_with_its_type_and_payment_method(api):
    answer = api.order("HB1")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["number"], body["type"], body["kind"]) == ("HB1", "order", "order")
    assert body["payment_method"] == "Amazon Pay"
    assert (body["payment_status"], body["gross_total"]) == ("pending", "44.90")
    assert body["refers_to"] is None and body["amazon"][0]["kind"] == "charge_permission"


def test_the_identical_order_again_changes_nothing_and_other_content_conflicts(api):
    permission = api.amazon.checkout("44.90")
    assert api.http.post("/orders", json=order_body("HB1", permission)).status_code == 201
    again = api.http.post("/orders", json=order_body("HB1", permission))
    assert again.status_code == 200 and again.json()["number"] == "HB1"
    other = api.http.post("/orders", json=order_body("HB1", permission, price="41.00"))
    assert other.status_code == 409
    assert other.json()["error"] == {
        "code": "number_reused",
        "message": "HB1 already exists with other content",
        "fields": ["number"],
    }


def test_a_lower_total_before_shipment_is_what_is_captured(api):
    api.order("HB1", price="20.00", qty=2)  # 44.90
    assert api.sweep()["worked"]["authorize"] == 1
    assert api.get("HB1")["payment_status"] == "accepted"
    changed = api.http.patch(
        "/documents/HB1",
        json={
            "items": [
                {"sku": "TASSE-WEISS", "name": "Tasse weiß", "quantity": 1, "unit_price": "20.00"}
            ]
        },
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["gross_total"] == "24.90"
    (row,) = [h for h in changed.json()["history"] if h["event"] == "changed"]
    assert (row["from"], row["to"]) == ("44.90", "24.90")

    shipped = api.http.post("/documents/HB1/shipment")
    assert shipped.status_code == 202, shipped.text
    assert shipped.json()["type"] == "invoice"
    assert shipped.json()["payment_status"] == "activation_requested"
    api.sweep()
    done = api.get("HB1")
    assert (done["payment_status"], done["captured"], done["type"]) == (
        "activated",
        "24.90",
        "invoice",
    )
    assert captures(api) == ["24.90"]
    types = [(h["from"], h["to"]) for h in done["history"] if h["event"] == "type_changed"]
    assert types == [("order", "invoice")]


def test_a_higher_total_within_the_charge_permission_is_reauthorized_and_captured(api):
    api.order("HB1")  # 44.90; the permission allows 15 % more (51.63)
    api.sweep()
    raised = api.http.patch("/documents/HB1", json={"shipping": "9.90"})
    assert raised.status_code == 200, raised.text
    assert raised.json()["gross_total"] == "49.90"
    assert api.http.post("/documents/HB1/shipment").status_code == 202
    api.sweep(3)
    done = api.get("HB1")
    assert (done["payment_status"], done["captured"]) == ("activated", "49.90")
    assert captures(api) == ["49.90"]


def test_a_total_above_the_charge_permission_is_refused(api):
    api.order("HB1")
    api.sweep()
    refused = api.http.patch("/documents/HB1", json={"shipping": "30.00"})
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "exceeds_charge_permission" and error["fields"] == ["shipping"]
    assert api.get("HB1")["gross_total"] == "44.90"


def test_shipment_again_changes_nothing_and_changes_after_it_are_refused(api):
    api.order("HB1")
    api.sweep()
    first = api.http.post("/documents/HB1/shipment").json()
    again = api.http.post("/documents/HB1/shipment")
    assert again.status_code == 202 and again.json()["history"] == first["history"]
    late = api.http.patch("/documents/HB1", json={"shipping": "0.00"})
    assert late.status_code == 409 and late.json()["error"]["code"] == "not_changeable"
    assert "activation_requested" in late.json()["error"]["message"]


def test_shipment_of_an_order_not_accepted_is_refused_with_the_reason(api):
    api.order("HB1")
    refused = api.http.post("/documents/HB1/shipment")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "not_accepted"
    assert "payment status is pending" in refused.json()["error"]["message"]


def test_two_partial_returns_are_refunded_and_a_third_beyond_the_shipment_is_refused(api):
    api.order("HB1", price="10.00", qty=3)  # 34.90
    api.sweep()
    api.http.post("/documents/HB1/shipment")
    api.sweep()
    first = api.http.post(
        "/documents/HB1/returns",
        json={"number": "GS1", "items": [{"sku": "TASSE-WEISS", "quantity": 1}], "shipping": False},
    )
    assert first.status_code == 201, first.text
    note = first.json()
    assert (note["type"], note["kind"], note["refers_to"]) == ("credit_note", "credit_note", "HB1")
    assert (note["gross_total"], note["payment_status"]) == ("10.00", "pending")
    resent = api.http.post(
        "/documents/HB1/returns",
        json={"number": "GS1", "items": [{"sku": "TASSE-WEISS", "quantity": 1}], "shipping": False},
    )
    assert resent.status_code == 200 and resent.json()["number"] == "GS1"
    not_an_order = api.http.post("/documents/GS1/cancellation", json={})
    assert not_an_order.status_code == 409
    assert not_an_order.json()["error"]["code"] == "not_cancellable"
    reused = api.http.post(
        "/documents/HB1/returns",
        json={"number": "GS1", "items": [{"sku": "TASSE-WEISS", "quantity": 2}]},
    )
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "number_reused"
    second = api.http.post(
        "/documents/HB1/returns",
        json={"items": [{"sku": "TASSE-WEISS", "quantity": 1}], "shipping": True},
    )
    assert second.status_code == 201, second.text
    assert (second.json()["number"], second.json()["gross_total"]) == ("HB1-R2", "14.90")
    third = api.http.post(
        "/documents/HB1/returns", json={"items": [{"sku": "TASSE-WEISS", "quantity": 2}]}
    )
    assert third.status_code == 409
    assert third.json()["error"]["code"] == "exceeds_shipped"
    assert third.json()["error"]["fields"] == ["items[0].quantity"]

    api.sweep()  # creates the refunds: RefundInitiated
    api.amazon.advance(minutes=1)
    api.sweep()  # reads them Refunded
    order = api.get("HB1")
    assert (order["payment_status"], order["refunded"]) == ("partially_refunded", "24.90")
    assert api.get("GS1")["payment_status"] == "refunded"
    refunded = api.http.get("/documents", params={"status": "refunded"}).json()["documents"]
    assert [d["number"] for d in refunded] == ["GS1", "HB1-R2"]
    assert api.http.get("/documents", params={"status": "pending"}).json()["documents"] == []
    refunds = [r["refundAmount"]["amount"] for r in api.amazon.ledger()["refunds"]]
    assert sorted(refunds, key=Decimal) == ["10.00", "14.90"]


def test_a_return_before_activation_is_refused(api):
    api.order("HB1")
    refused = api.http.post(
        "/documents/HB1/returns", json={"items": [{"sku": "TASSE-WEISS", "quantity": 1}]}
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_activated"
