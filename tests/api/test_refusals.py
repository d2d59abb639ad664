"""What the API refuses, and how it says so: one envelope, a fixed code, every field at fault."""

import httpx

from services import calls
from tests.api.conftest import order_body


def error(answer) -> dict:
    return answer.json()["error"]


def test_requests_without_the_right_token_get_401_but_the_docs_are_open(api):
    base = str(api.http.base_url)
    assert httpx.get(f"{base}/documents/HB1").status_code == 401
    wrong = httpx.get(f"{base}/documents", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and error(wrong)["code"] == "unauthorized"
    assert "test-token" not in wrong.text
    assert httpx.get(f"{base}/openapi.json").status_code == 200
    assert httpx.get(f"{base}/docs").status_code == 200


def test_bad_fields_answer_422_naming_each_of_them(api):
    body = order_body("HB1", "S01-1")
    body["items"][0]["unit_price"] = "9.999"
    body["items"][0]["quantity"] = 0
    body["customer"].pop("email")
    body["shipping"] = "-1.00"
    body["payment_method"] = 7
    answer = api.http.post("/orders", json=body)
    assert answer.status_code == 422
    assert error(answer)["code"] == "invalid_field"
    assert sorted(error(answer)["fields"]) == [
        "customer.email",
        "items[0].quantity",
        "items[0].unit_price",
        "payment_method",
        "shipping",
    ]


def test_amounts_as_json_numbers_are_refused(api):
    body = order_body("HB1", "S01-1")
    text = httpx.Request("POST", "/", json=body).content.decode().replace('"4.90"', "4.90")
    answer = api.http.post("/orders", content=text, headers={"Content-Type": "application/json"})
    assert answer.status_code == 422 and "JSON number" in error(answer)["message"]


def test_a_body_above_one_mebibyte_answers_413(api):
    answer = api.http.post("/orders", content=b"{" + b" " * (1024 * 1024) + b"}")
    assert answer.status_code == 413 and error(answer)["code"] == "body_too_large"


def test_a_chunked_body_above_one_mebibyte_answers_413_too(api):
    chunks = iter([b"{" + b" " * 600_000, b" " * 600_000 + b"}"])
    answer = api.http.post("/orders", content=chunks)
    assert answer.status_code == 413 and error(answer)["code"] == "body_too_large"


def test_unknown_documents_answer_404(api):
    answer = api.http.get("/documents/NOPE")
    assert answer.status_code == 404 and error(answer) == {
        "code": "not_found",
        "message": "no document NOPE",
        "fields": [],
    }


def test_a_whole_order_is_cancelled_once_and_single_items_need_seller_central(api):
    api.order("HB1")
    api.sweep()
    items = api.http.post("/documents/HB1/cancellation", json={"items": [{"sku": "TASSE-WEISS"}]})
    assert items.status_code == 409 and error(items)["code"] == "needs_seller_central"
    assert "Seller Central" in error(items)["message"]
    first = api.http.post("/documents/HB1/cancellation", json={})
    assert first.status_code == 202 and first.json()["cancel_requested"] is True
    again = api.http.post("/documents/HB1/cancellation", json={})
    assert again.status_code == 202 and again.json()["history"] == first.json()["history"]
    assert api.sweep()["worked"]["cancel"] == 1
    assert api.get("HB1")["payment_status"] == "cancelled"
    (charge,) = api.amazon.ledger()["charges"]
    assert charge["statusDetails"]["state"] == "Canceled"
    assert api.http.post("/documents/HB1/cancellation", json={}).status_code == 202
    assert api.sweep()["worked"]["cancel"] == 0
    shipped = api.http.post("/documents/HB1/shipment")
    assert shipped.status_code == 409


def test_an_activated_order_cannot_be_cancelled(api):
    api.order("HB1")
    api.sweep()
    api.http.post("/documents/HB1/shipment")
    api.sweep()
    refused = api.http.post("/documents/HB1/cancellation", json={})
    assert refused.status_code == 409 and error(refused)["code"] == "not_cancellable"


def test_a_document_of_another_payment_method_gets_no_amazon_work(api):
    taken = api.order("HB1", payment_method="Rechnung")
    assert taken.status_code == 201 and taken.json()["payment_method"] == "Rechnung"
    assert api.sweep()["worked"]["authorize"] == 0
    assert api.get("HB1")["payment_status"] == "pending"
    assert api.amazon.ledger()["charges"] == []
    for answer in (
        api.http.post("/documents/HB1/shipment"),
        api.http.post("/documents/HB1/cancellation", json={}),
        api.http.patch("/documents/HB1", json={"shipping": "0.00"}),
    ):
        assert answer.status_code == 400, answer.text
        assert error(answer)["code"] == "other_payment_method"
        assert "Rechnung" in error(answer)["message"]


def test_a_change_while_an_amazon_call_is_open_is_refused(api):
    api.order("HB1")
    with api.res.uow() as uow:
        document = uow.documents.get("HB1")
    calls.begin(
        api.res, "HB1", "create_charge", {"chargePermissionId": document.charge_permission_id}
    )
    answer = api.http.patch("/documents/HB1", json={"shipping": "0.00"})
    assert answer.status_code == 409 and error(answer)["code"] == "amazon_call_in_flight"


def test_documents_are_listed_in_pages_filtered_by_status_and_type(api):
    for n in range(3):
        api.order(f"HB{n}")
    api.sweep()
    api.http.post("/documents/HB1/shipment")
    first = api.http.get("/documents", params={"limit": 2}).json()
    assert [d["number"] for d in first["documents"]] == ["HB0", "HB1"] and first["next"]
    rest = api.http.get("/documents", params={"limit": 2, "after": first["next"]}).json()
    assert [d["number"] for d in rest["documents"]] == ["HB2"] and rest["next"] is None
    invoices = api.http.get("/documents", params={"type": "invoice"}).json()["documents"]
    assert [d["number"] for d in invoices] == ["HB1"]
    accepted = api.http.get("/documents", params={"status": "accepted"}).json()["documents"]
    assert [d["number"] for d in accepted] == ["HB0", "HB2"]
    bad = api.http.get("/documents", params={"limit": 0})
    assert bad.status_code == 422 and error(bad)["fields"] == ["limit"]
