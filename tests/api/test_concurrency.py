"""Two requests for one document at once are serialised; the loser is told when it lost."""

from concurrent.futures import ThreadPoolExecutor

import httpx


def test_a_shipment_and_a_change_at_once_leave_a_consistent_document(api):
    for round_ in range(4):
        number = f"HB{round_}"
        api.order(number)
        api.sweep()
        base, headers = str(api.http.base_url), dict(api.http.headers)

        def ship():
            return httpx.post(f"{base}/documents/{number}/shipment", headers=headers, timeout=30)

        def change():
            body = {"shipping": "0.00"}
            return httpx.patch(f"{base}/documents/{number}", json=body, headers=headers, timeout=30)

        with ThreadPoolExecutor(2) as pool:
            futures = pool.submit(ship), pool.submit(change)
            shipped, changed = (future.result() for future in futures)
        assert shipped.status_code == 202, shipped.text
        assert changed.status_code in (200, 409), changed.text
        api.sweep()
        document = api.get(number)
        expected = "40.00" if changed.status_code == 200 else "44.90"
        assert (document["payment_status"], document["captured"]) == ("activated", expected)
        assert document["gross_total"] == expected
        if changed.status_code == 409:
            assert changed.json()["error"]["code"] == "not_changeable"


def test_the_same_return_sent_twice_at_once_makes_one_credit_note(api):
    api.order("HB1", price="10.00", qty=2)
    api.sweep()
    api.http.post("/documents/HB1/shipment")
    api.sweep()
    base, headers = str(api.http.base_url), dict(api.http.headers)
    body = {"number": "GS1", "items": [{"sku": "TASSE-WEISS", "quantity": 2}]}

    def send():
        return httpx.post(f"{base}/documents/HB1/returns", json=body, headers=headers, timeout=30)

    with ThreadPoolExecutor(2) as pool:
        answers = [f.result() for f in [pool.submit(send), pool.submit(send)]]
    assert sorted(a.status_code for a in answers) == [200, 201]
    assert api.get("HB1")["credit_notes"] == ["GS1"]
