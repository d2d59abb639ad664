"""AMAZON_PAY_PRIVATE_KEY as people paste it, and broken: it works or says what is wrong, and
no 40 characters of the key ever show: not on stdout/stderr of the real command line, not in
the ERP store, not in Prefect's database (logs, states, events) after a failed flow run.

One generated key's bare base64 body starts with more than 255 characters before its first `/`:
the old code handed it to `Path.is_file()`, which raised "File name too long" with the key as
the file name, and that message went everywhere.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr
from sqlalchemy import Engine, MetaData, select
from typer.testing import CliRunner

from adapters.amazon_pay import AmazonPayClient, ConfigurationError
from adapters.amazon_pay.signing import load_private_key
from adapters.settings import AmazonPaySettings
from sandbox.config import SandboxConfig
from sandbox.server import run_in_thread
from tests.amazon_pay.hostile_keys import (
    VARIANTS,
    LeakCheck,
    body,
    broken_variants,
    names_too_long_a_file,
    new_rsa_key,
    pem_of,
    rsa_keys,
)

CLI = str(Path(sys.executable).parent / "amazon-payments")
MISSING_CHARGE = "S01-0000000-0000000-C000000"
PROBLEMS = ("not a readable unencrypted PEM key", "neither PEM text", "not an RSA key")


def key_id(index: int) -> str:
    return f"SANDBOX-HOSTILEKEY{index:011d}"


@pytest.fixture(scope="module")
def keys():
    """Six RSA keys (the first names too long a file as bare base64) and that one's format."""
    return rsa_keys(6)


@pytest.fixture(scope="module")
def sandbox(keys) -> Iterator[str]:
    """The sandbox on loopback, knowing every generated key: a good key gets ResourceNotFound."""
    publics = {
        key_id(i): key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
        for i, key in enumerate(keys[0])
    }
    with run_in_thread(SandboxConfig(public_keys=publics, quotas="off")) as url:
        yield url


@pytest.fixture
def no_dotenv(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env file
    for name in ("MERCHANT_ID", "ALGORITHM", "QUOTAS", "REGION", "SANDBOX"):
        monkeypatch.delenv(f"AMAZON_PAY_{name}", raising=False)


def full_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error) + str(error.args)


def test_every_way_of_pasting_a_key_loads_that_key(keys) -> None:
    generated, long_format = keys
    assert names_too_long_a_file(body(pem_of(generated[0], long_format)))
    for key in generated:
        for fmt in ("pkcs8", "pkcs1"):
            for name, paste in VARIANTS.items():
                settings = AmazonPaySettings(private_key=SecretStr(paste(pem_of(key, fmt))))
                loaded = load_private_key(settings.private_key_pem())
                assert loaded.private_numbers() == key.private_numbers(), (fmt, name)


def test_the_amazon_command_signs_with_every_pasted_form(keys, sandbox, no_dotenv) -> None:
    from cli.main import app

    generated, long_format = keys
    runner = CliRunner()
    for index, key in enumerate(generated):
        pem = pem_of(key, long_format if index == 0 else ("pkcs8", "pkcs1")[index % 2])
        leak = LeakCheck(body(pem))
        for name, paste in VARIANTS.items():
            env = {
                "AMAZON_PAY_PUBLIC_KEY_ID": key_id(index),
                "AMAZON_PAY_PRIVATE_KEY": paste(pem),
                "AMAZON_PAY_BASE_URL": sandbox,
            }
            result = runner.invoke(app, ["amazon", "get-charge", MISSING_CHARGE], env=env)
            # Amazon verified the signature and looked for the charge: the key works.
            assert result.exit_code == 1, (name, result.stderr)
            assert "ResourceNotFound" in result.stderr, (name, result.stderr)
            assert not leak.found_in(result.stdout + result.stderr), name


def other_kinds_of_key() -> dict[str, tuple[bytes, str]]:
    """An EC key (the client signs with RSA only) and a password-protected RSA key."""
    ec_pem = pem_of(ec.generate_private_key(ec.SECP384R1()))
    encrypted = new_rsa_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )  # fmt: skip
    return {
        "ec-pem": (ec_pem, ec_pem.decode()),
        "ec-bare": (ec_pem, body(ec_pem)),
        "ec-quoted-crlf": (ec_pem, '"' + ec_pem.decode().replace("\n", "\r\n") + '"'),
        "encrypted": (encrypted, encrypted.decode()),
    }


def test_a_broken_or_wrong_key_says_what_is_wrong_and_shows_none_of_it(keys) -> None:
    generated, long_format = keys
    cases = {}
    for index, key in enumerate(generated[:3]):
        pem = pem_of(key, long_format if index == 0 else "pkcs1")
        cases |= {f"{index}-{name}": (pem, v) for name, v in broken_variants(pem).items()}
    cases |= other_kinds_of_key()
    for name, (pem, value) in cases.items():
        settings = AmazonPaySettings(public_key_id="K", private_key=SecretStr(value))
        with pytest.raises(ConfigurationError) as caught:
            AmazonPayClient.from_settings(settings)
        message = str(caught.value)
        assert any(problem in message for problem in PROBLEMS + ("encrypted",)), (name, message)
        assert not LeakCheck(body(pem)).found_in(full_text(caught.value)), name
        assert caught.value.__context__ is None, name


def test_the_real_command_line_never_prints_a_key(keys, sandbox, no_dotenv) -> None:
    generated, long_format = keys
    long_pem, other_pem = pem_of(generated[0], long_format), pem_of(generated[1], "pkcs8")
    ec_pem = pem_of(ec.generate_private_key(ec.SECP256R1()))
    long_body = body(long_pem)
    cases = [  # (key index, value, secret, exit code, text on stderr)
        (0, long_body, long_pem, 1, "ResourceNotFound"),
        (0, long_body[: len(long_body) // 8 * 4], long_pem, 2, PROBLEMS[0]),
        (1, '"' + other_pem.decode().replace("\n", "\r\n") + '"', other_pem, 1, "ResourceNotFound"),
        (1, ec_pem.decode(), ec_pem, 2, PROBLEMS[2]),
    ]
    runs = []
    for index, value, _secret, _code, _text in cases:
        env = {
            **os.environ,
            "AMAZON_PAY_PUBLIC_KEY_ID": key_id(index),
            "AMAZON_PAY_PRIVATE_KEY": value,
            "AMAZON_PAY_BASE_URL": sandbox,
        }
        runs.append(
            subprocess.Popen(  # noqa: S603 - our own executable
                [CLI, "amazon", "get-charge", MISSING_CHARGE],
                env=env,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )  # fmt: skip
        )
    for process, (_index, _value, secret, code, text) in zip(runs, cases, strict=True):
        out, err = process.communicate(timeout=300)
        assert not LeakCheck(body(secret)).found_in(out + err), err
        assert process.returncode == code, err
        assert text in err and len(err.strip().splitlines()) == 1, err


def prefect_database_text() -> str:
    """Every value of every table of the harness's Prefect database, as one text."""
    from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL

    path = PREFECT_SERVER_DATABASE_CONNECTION_URL.value().split(":///", 1)[1]
    parts: list[str] = []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - names from sqlite
                parts += [
                    v.decode(errors="replace") if isinstance(v, bytes) else str(v) for v in row
                ]
    return "\n".join(parts)


def store_text(engine: Engine) -> str:
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as connection:
        rows = [row for table in meta.sorted_tables for row in connection.execute(select(table))]
    return "\n".join(str(value) for row in rows for value in row)


def wait_for_flow_run_records(run_ids: list[str], seconds: float = 60) -> str:
    """The database text once the runs' logs and events have arrived (or time is up)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=30, at_exit=False)
    EventsWorker.drain_all(timeout=30, at_exit=False)
    deadline = time.monotonic() + seconds
    wanted = ["prefect.flow-run.Failed", "Encountered exception"]
    wanted += [f"prefect.flow-run.{run_id}" for run_id in run_ids]  # the runs' events
    while True:
        text = prefect_database_text()
        if all(part in text for part in wanted) or time.monotonic() > deadline:
            return text
        time.sleep(1)


def test_a_flow_that_fails_on_a_bad_key_leaves_no_trace_of_it(
    prefect_harness, keys, engine, database_url, monkeypatch, tmp_path, capfd
) -> None:
    from flows.settlement import reconcile_settlements

    generated, long_format = keys
    pem = pem_of(generated[0], long_format)
    whole = body(pem)
    monkeypatch.setenv("AMAZON_PAYMENTS_DATABASE_URL", database_url)
    monkeypatch.setenv("AMAZON_PAYMENTS_INBOX_DIR", str(tmp_path / "inbox"))
    monkeypatch.setenv("AMAZON_PAY_PUBLIC_KEY_ID", key_id(0))
    monkeypatch.setenv("AMAZON_PAY_BASE_URL", "http://127.0.0.1:9")  # never reached
    states = []
    for value in (whole[: len(whole) // 8 * 4], whole[:600] + whole[:-600]):
        assert names_too_long_a_file(value)  # the old code's "File name too long" with the key
        monkeypatch.setenv("AMAZON_PAY_PRIVATE_KEY", value)
        states.append(reconcile_settlements(return_state=True))

    text = wait_for_flow_run_records([str(s.state_details.flow_run_id) for s in states])
    leak = LeakCheck(whole)
    assert not leak.found_in(text), "key material in Prefect's database"
    assert not leak.found_in(store_text(engine)), "key material in the ERP store"
    captured = capfd.readouterr()
    assert not leak.found_in(captured.out + captured.err), "key material on stdout/stderr"
    for state in states:
        assert state.is_failed() and PROBLEMS[0] in (state.message or "")
        assert f"prefect.flow-run.{state.state_details.flow_run_id}" in text  # events arrived
