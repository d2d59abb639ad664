"""`amazon-payments sync` and `amazon-payments api serve` as real processes."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.api.conftest import order_body

CLI = str(Path(sys.executable).parent / "amazon-payments")


def run(args, env, **kw):
    return subprocess.run(
        [CLI, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120, **kw
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sync_runs_one_sweep_and_prints_its_summary_last(api, cli_env):
    api.order("HB1")
    done = run(["sync", "--json"], cli_env)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["worked"]["authorize"] == 1 and summary["problems"] == {}
    assert api.get("HB1")["payment_status"] == "accepted"


def test_sync_reports_documents_that_need_a_person_as_problems_not_failure(api, cli_env):
    api.order("HB1")
    api.sweep()
    api.http.post("/documents/HB1/shipment")
    api.sweep()
    body = {"number": "GS1", "items": [{"sku": "TASSE-WEISS", "quantity": 1}]}
    assert api.http.post("/documents/HB1/returns", json=body).status_code == 201
    env = cli_env | {"AMAZON_PAYMENTS_REPORT_RETURNS": "false"}
    done = run(["sync", "--json"], env)
    assert done.returncode == 0, done.stderr
    problems = json.loads(done.stdout.strip().splitlines()[-1])["problems"]
    assert "switched off" in problems["GS1"]


def test_sync_exits_1_when_the_store_cannot_be_reached(cli_env):
    env = cli_env | {"AMAZON_PAYMENTS_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x"}
    done = run(["sync", "--json"], env)
    assert done.returncode == 1 and "the sweep failed" in done.stderr


def test_api_serve_refuses_to_start_without_a_token(cli_env):
    env = {k: v for k, v in cli_env.items()} | {"AMAZON_PAYMENTS_API_TOKEN": ""}
    refused = run(["api", "serve", "--port", str(free_port())], env)
    assert refused.returncode == 2 and "AMAZON_PAYMENTS_API_TOKEN" in refused.stderr
    public = run(["api", "serve", "--host", "0.0.0.0", "--insecure-no-token"], env)
    assert public.returncode == 2 and "loopback only" in public.stderr


def test_api_serve_answers_with_the_token_only(api, cli_env):
    port = free_port()
    env = {**os.environ, **cli_env, "AMAZON_PAYMENTS_API_TOKEN": "serve-token-1"}
    process = subprocess.Popen(
        [CLI, "api", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.2)
        body = order_body("HB9", api.amazon.checkout("44.90"))
        assert httpx.post(f"{base}/orders", json=body).status_code == 401
        auth = {"Authorization": "Bearer serve-token-1"}
        assert httpx.post(f"{base}/orders", json=body, headers=auth).status_code == 201
        assert api.get("HB9")["payment_status"] == "pending"
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "serve-token-1" not in output


def test_make_run_starts_the_api_with_a_token_kept_in_a_file_of_its_owner(tmp_path):
    from api.serve import token_file
    from deployments.run import commands

    started = [args for args, _ in commands(True, tmp_path / "keys.json")]
    assert [CLI, "api", "serve", "--host", "127.0.0.1", "--port", "8125"] in started
    path = tmp_path / "data" / "api-token"
    token = token_file(path)
    assert len(token) >= 32 and token_file(path) == token
    assert path.stat().st_mode & 0o777 == 0o600
