"""Which flow run the API starts for a recorded request (when a Prefect API is configured)."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from adapters.settings import ModuleSettings
from api.app import make_app
from sandbox.server import bind_socket, run_app_in_thread
from tests.api.conftest import TOKEN, Api, order_body


class Started(list):
    """The run starter's port, recording (deployment, number) instead of calling Prefect."""

    def __call__(self, deployment: str, number: str) -> None:
        self.append((deployment, number))


@pytest.fixture
def started() -> Started:
    return Started()


@pytest.fixture
def api(res, amazon, started) -> Iterator[Api]:  # noqa: F811 - this file's API starts runs
    with run_app_in_thread(make_app(res, TOKEN, started), bind_socket()) as base_url:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
            yield Api(http, amazon, res)


def test_each_new_request_starts_its_run_and_a_repeat_starts_none(api, started):
    api.order("HB1", price="10.00", qty=2)
    api.order("HB1", price="10.00", qty=2)  # a new checkout, the same number: refused
    api.sweep()
    api.http.post("/documents/HB1/shipment")
    api.http.post("/documents/HB1/shipment")
    api.sweep()
    body = {"number": "GS1", "items": [{"sku": "TASSE-WEISS", "quantity": 1}]}
    api.http.post("/documents/HB1/returns", json=body)
    api.http.post("/documents/HB1/returns", json=body)
    api.order("HB2")
    api.http.post("/documents/HB2/cancellation", json={})
    api.http.post("/documents/HB2/cancellation", json={})
    assert started == [
        ("authorize", "HB1"),
        ("activate", "HB1"),
        ("refund", "GS1"),
        ("authorize", "HB2"),
        ("cancel", "HB2"),
    ]


def test_the_same_order_posted_twice_at_once_is_taken_in_once(api, started):
    body = order_body("HB1", api.amazon.checkout("44.90"))
    base, headers = str(api.http.base_url), dict(api.http.headers)

    def send():
        return httpx.post(f"{base}/orders", json=body, headers=headers, timeout=30)

    with ThreadPoolExecutor(2) as pool:
        answers = [f.result() for f in [pool.submit(send), pool.submit(send)]]
    assert sorted(a.status_code for a in answers) == [200, 201]
    assert started == [("authorize", "HB1")]


@pytest.mark.parametrize(
    "settings", [ModuleSettings(database_url="sqlite://", report_shipment=False)]
)
def test_a_shipment_is_refused_while_reporting_shipments_is_switched_off(api, settings):
    api.order("HB1")
    api.sweep()
    refused = api.http.post("/documents/HB1/shipment")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "switched_off"
    assert api.get("HB1")["payment_status"] == "accepted"
