"""Hostile order files: one stderr line naming the line and the field, and an untouched store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from adapters.erp.schema import AmazonRefRow, DocumentRow, ItemRow
from adapters.erp.store import UnitOfWork
from cli.orders import app
from tests.intake_orders import GOOD

MAX_EUR = "92233720368547758.07"  # 2**63 - 1 cents
CLI = str(Path(sys.executable).parent / "amazon-payments")
runner = CliRunner()


def order(**changes: object) -> dict:
    return {**GOOD, **changes}


def item(**changes: object) -> dict:
    return {**GOOD["items"][0], **changes}  # type: ignore[dict-item]


def customer(**changes: object) -> dict:
    return {**GOOD["customer"], **changes}  # type: ignore[dict-item]


def write_lines(path: Path, *orders: dict | str) -> Path:
    lines = [o if isinstance(o, str) else json.dumps(o, ensure_ascii=False) for o in orders]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def run_import(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("AMAZON_PAYMENTS_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)  # no stray .env file

    def run(*args: str):
        return runner.invoke(app, ["import", *args])

    return run


def stored(engine: Engine) -> tuple[int, int, int]:
    with UnitOfWork(engine) as uow:
        return tuple(  # type: ignore[return-value]
            uow.session.scalar(select(func.count()).select_from(table)) or 0
            for table in (DocumentRow, ItemRow, AmazonRefRow)
        )


def assert_refused(result, path: Path, line: int, reason: str) -> None:
    """Exit 1, no traceback, the bad line naming line and field, then the refusal."""
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        f"{path}:line {line}: {reason}",
        f"{path}: refused, nothing imported (1 bad line(s))",
    ]


TOO_MUCH = "more than the store holds (at most 92233720368547758.07 EUR)"
HOSTILE = {
    "price_1e30": (order(items=[item(unit_price="1e30")]), f"items[0].unit_price: {TOO_MUCH}"),
    "shipping_1e30": (order(shipping="1E+30"), f"shipping: {TOO_MUCH}"),
    "price_one_cent_over_bigint": (
        order(items=[item(unit_price="92233720368547758.08", quantity=1)]),
        f"items[0].unit_price: {TOO_MUCH}",
    ),
    "yen_over_bigint": (
        order(currency="JPY", shipping="0", items=[item(unit_price=str(2**63), quantity=1)]),
        "items[0].unit_price: more than the store holds (at most 9223372036854775807 JPY)",
    ),
    "line_total_over_bigint": (
        order(items=[item(unit_price=MAX_EUR, quantity=2)]),
        f"items[0]: quantity times unit_price is {TOO_MUCH}",
    ),
    "document_total_over_bigint": (
        order(shipping="0.01", items=[item(unit_price=MAX_EUR, quantity=1)]),
        f"total: {TOO_MUCH}",
    ),
    "quantity_over_integer": (
        order(items=[item(quantity=2**31)]),
        "items[0].quantity: more than the store holds (at most 2147483647)",
    ),
    "number_too_long": (order(number="N" * 65), "number: 65 characters, the store holds 64"),
    "customer_name_too_long": (
        order(customer=customer(name="n" * 201)),
        "customer.name: 201 characters, the store holds 200",
    ),
    "customer_email_too_long": (
        order(customer=customer(email="e" * 195 + "@x.org")),
        "customer.email: 201 characters, the store holds 200",
    ),
    "sku_too_long": (
        order(items=[item(sku="S" * 65)]),
        "items[0].sku: 65 characters, the store holds 64",
    ),
    "item_name_too_long": (
        order(items=[item(), item(name="ä" * 201)]),
        "items[1].name: 201 characters, the store holds 200",
    ),
    "charge_permission_id_too_long": (
        order(charge_permission_id="S" * 65),
        "charge_permission_id: 65 characters, the store holds 64",
    ),
    "charge_id_too_long": (
        order(charge_id="C" * 65),
        "charge_id: 65 characters, the store holds 64",
    ),
    "nul_in_number": (order(number="HB\x001"), "number: NUL characters are refused"),
    "nul_in_customer_name": (
        order(customer=customer(name="Erika\x00")),
        "customer.name: NUL characters are refused",
    ),
    "nul_in_item_name": (
        order(items=[item(name="Tasse\x00")]),
        "items[0].name: NUL characters are refused",
    ),
    "nul_in_charge_permission_id": (
        order(charge_permission_id="S01\x00"),
        "charge_permission_id: NUL characters are refused",
    ),
    "zero_total": (
        order(shipping="0.00", items=[item(unit_price="0.00")]),
        "total: 0.00 EUR, nothing to authorize",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_value_is_one_line_naming_line_and_field(case, run_import, engine, tmp_path):
    bad, reason = HOSTILE[case]
    path = write_lines(
        tmp_path / "orders.jsonl", order(number="OK1", charge_permission_id="P1"), bad
    )
    assert_refused(run_import(str(path)), path, 2, reason)
    assert stored(engine) == (0, 0, 0)


def test_a_quantity_with_thousands_of_digits_is_a_line_error(run_import, engine, tmp_path):
    line = json.dumps(order()).replace('"quantity": 2', '"quantity": 1' + "0" * 5000)
    path = write_lines(tmp_path / "orders.jsonl", line)
    assert_refused(
        run_import(str(path)),
        path,
        1,
        "items[0].quantity: more than the store holds (at most 2147483647)",
    )
    assert stored(engine) == (0, 0, 0)


def test_a_charge_permission_repeated_in_the_file_is_a_line_error(run_import, engine, tmp_path):
    path = write_lines(tmp_path / "orders.jsonl", order(), order(number="HB100002"))
    assert_refused(
        run_import(str(path)),
        path,
        2,
        "duplicate charge_permission_id S01-1234567-1234567 (first on line 1)",
    )
    assert stored(engine) == (0, 0, 0)


def test_a_charge_permission_already_in_the_store_is_a_line_error(run_import, engine, tmp_path):
    first = run_import(str(write_lines(tmp_path / "first.jsonl", order())))
    assert first.exit_code == 0, first.output
    path = write_lines(
        tmp_path / "orders.jsonl",
        order(number="HB100002", charge_permission_id="P2"),
        order(number="HB100003"),
    )
    assert_refused(
        run_import(str(path)),
        path,
        2,
        "charge_permission_id S01-1234567-1234567 is already in the store",
    )
    assert stored(engine) == (1, 2, 1)


def test_a_charge_id_already_in_the_store_is_a_line_error(run_import, engine, tmp_path):
    first = run_import(str(write_lines(tmp_path / "first.jsonl", order(charge_id="C1"))))
    assert first.exit_code == 0, first.output
    path = write_lines(
        tmp_path / "orders.jsonl",
        order(number="HB100002", charge_permission_id="P2", charge_id="C1"),
    )
    assert_refused(run_import(str(path)), path, 1, "charge_id C1 is already in the store")
    assert stored(engine) == (1, 2, 2)


def assert_too_large(result, path: str, limit: int) -> None:
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        f"{path}: more than the limit of {limit} bytes (--max-bytes), nothing imported"
    ]


def test_a_file_over_the_limit_is_refused_whole(run_import, engine, tmp_path):
    path = write_lines(
        tmp_path / "orders.jsonl", order(), order(number="HB2", charge_permission_id="P2")
    )
    size = path.stat().st_size
    assert_too_large(run_import(str(path), "--max-bytes", str(size - 1)), str(path), size - 1)
    assert stored(engine) == (0, 0, 0)
    assert run_import(str(path), "--max-bytes", str(size)).exit_code == 0
    assert stored(engine)[0] == 2


def test_a_file_over_64_mib_is_refused_by_default(run_import, engine, tmp_path):
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as sparse:
        sparse.truncate(64 * 1024 * 1024 + 1)
    assert_too_large(run_import(str(path)), str(path), 64 * 1024 * 1024)
    assert stored(engine) == (0, 0, 0)


def test_dev_zero_stops_at_the_limit(run_import, engine):
    assert_too_large(run_import("/dev/zero", "--max-bytes", "1000000"), "/dev/zero", 1000000)
    assert stored(engine) == (0, 0, 0)


@pytest.fixture
def shell(database_url, tmp_path):
    env = {**os.environ, "AMAZON_PAYMENTS_DATABASE_URL": database_url}

    def run(command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )

    return run


def test_an_endless_pipe_stops_at_the_limit_and_a_short_one_imports(shell, engine, tmp_path):
    endless = shell(
        f"yes '{json.dumps(order())}' | {CLI} orders import /dev/stdin --max-bytes 100000"
    )
    assert endless.returncode == 2
    assert endless.stderr.splitlines() == [
        "/dev/stdin: more than the limit of 100000 bytes (--max-bytes), nothing imported"
    ]
    assert stored(engine) == (0, 0, 0)
    write_lines(tmp_path / "orders.jsonl", order())
    piped = shell(f"cat orders.jsonl | {CLI} orders import /dev/stdin")
    assert piped.returncode == 0, piped.stderr
    assert stored(engine) == (1, 2, 1)
