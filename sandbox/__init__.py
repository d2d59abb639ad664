"""A local Amazon Pay API v2 sandbox: plays Amazon for demos, tests and benchmarks.

    from sandbox.config import SandboxConfig
    from sandbox.server import run_in_thread

    with run_in_thread(SandboxConfig(admin=True, public_keys={key_id: pem})) as base_url:
        ...  # the client under test talks to base_url, naming pay-api.amazon.eu as its host

Parts: `app` (Starlette app factory), `gateway` (signature, throttling, faults, idempotency per
request), `signature`, `routes` + `payments` + `rules` + `ledger` + `state` (objects and state
machines), `simulation` (x-amz-pay-simulation-code table), `clock`, `throttle`, `faults`,
`notifications` (signed SNS IPNs), `reports` + `settlement_csv` (Reports API), `admin`
(`/_admin`, off unless enabled), `persistence` (the state in a SQLite file, for `make run`),
`server` (runners). It never imports `adapters.amazon_pay`.
"""
