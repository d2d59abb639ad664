"""`amazon-payments sandbox serve`: options, keys file, and a real server process."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cli.sandbox import app, build_config
from sandbox.server import bind_socket
from tests.sandbox.amazon import Admin, Api, Signer, fetch, public_pem
from tests.sandbox.conftest import KEY_ID

REPO = Path(__file__).resolve().parents[2]


def test_keys_file_and_options_build_the_config(tmp_path: Path, private_key):
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({KEY_ID: public_pem(private_key)}))
    config = build_config(
        admin=True,
        quotas="live",
        ipn_url="http://127.0.0.1:9/ipn",
        keys_file=keys,
        accept_hosts=["localhost:8123"],
    )
    assert (config.admin, config.quotas, config.ipn_url) == (True, "live", "http://127.0.0.1:9/ipn")
    assert list(config.public_keys) == [KEY_ID]
    assert config.accept_hosts == ("localhost:8123",)


def test_bad_keys_file_and_bad_quotas_fail_with_one_line(tmp_path: Path):
    broken = tmp_path / "keys.json"
    broken.write_text("[1, 2]")
    runner = CliRunner()
    result = runner.invoke(app, ["serve", "--keys-file", str(broken)])
    assert result.exit_code == 2
    assert "expected a JSON object" in result.output
    result = runner.invoke(app, ["serve", "--quotas", "fast"])
    assert result.exit_code == 2
    assert "--quotas must be one of" in result.output


def test_serve_runs_a_sandbox_that_verifies_keys_from_the_file(tmp_path: Path, private_key):
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({KEY_ID: public_pem(private_key)}))
    probe = bind_socket()
    port = probe.getsockname()[1]
    probe.close()
    command = [
        sys.executable,
        "-c",
        "from cli.sandbox import app; app()",
        "serve",
        "--port",
        str(port),
        "--admin",
        "--quotas",
        "off",
        "--keys-file",
        str(keys),
    ]
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=REPO, stdout=sink, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                fetch(base_url + "/_admin/clock", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"sandbox did not start: {log.read_text()}")
                time.sleep(0.1)
        admin = Admin(base_url)
        permission = admin.checkout("9.99")
        api = Api(base_url, Signer(KEY_ID, private_key), admin.now)
        assert api.get(f"chargePermissions/{permission}").status_code == 200
        api.close()
        admin.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
