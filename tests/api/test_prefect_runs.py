"""With a Prefect API configured, a recorded request starts its deployment's run."""

import time

from prefect.client.orchestration import get_client

from api.runs import prefect_runs


def test_a_request_starts_the_deployment_run_named_for_its_document(prefect_harness):
    from flows.orders import refund

    deployment_id = refund.to_deployment(name="refund").apply()
    prefect_runs("refund", "GS1")
    prefect_runs("refund", "GS1")  # a resend after a restart: the same run
    deadline = time.monotonic() + 60
    with get_client(sync_client=True) as client:
        while True:
            runs = [r for r in client.read_flow_runs() if r.deployment_id == deployment_id]
            if runs or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        time.sleep(2)  # the second start, if it made a run, has made it by now
        runs = [r for r in client.read_flow_runs() if r.deployment_id == deployment_id]
    assert [(r.name, r.parameters) for r in runs] == [("refund-GS1", {"credit_note": "GS1"})]
