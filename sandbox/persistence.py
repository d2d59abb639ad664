"""The sandbox's state in a SQLite file, so a restarted sandbox continues where it stopped.

`make run` starts the sandbox with `--state-file data/sandbox/state.sqlite3`; tests and the demo
keep everything in memory (no file). What is kept: charge permissions, charges, refunds, the
transitions still due, the idempotency answers, the clock (how far the sandbox is ahead of real
time, and how far it was advanced), the settlement reports and the open period, and the random
generators that make ids (so a restarted sandbox hands out fresh ids). What is not kept: the
runtime switches (faults, throttle counts, extra admin keys), report download links (they live
30 s) and IPNs not yet delivered.

Writing is a full snapshot in one transaction before the answer of every request that may change
the state (any but GET/HEAD) and after every tick that applied a transition: simple and atomic,
and cheap at a local sandbox's size (1,000 orders take about 0.2 s a save here; a sandbox for
volume runs in memory). Values are JSON with tags for the types JSON lacks (Money, Decimal,
datetime, bytes, tuples), so every object comes back equal to what was saved.
"""

from __future__ import annotations

import base64
import dataclasses
import heapq
import itertools
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from domain.money import Money
from sandbox.idempotency import StoredAnswer
from sandbox.reports import Report
from sandbox.state import Charge, ChargePermission, Refund, Status

if TYPE_CHECKING:
    from sandbox.core import Sandbox

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS due (
    at TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, object_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (
    environment TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL, body BLOB NOT NULL, PRIMARY KEY (environment, key));
"""
FORMAT = "1"  # the layout of what is stored; another value is refused, not guessed at
KINDS: dict[str, type[Any]] = {
    "permission": ChargePermission,
    "charge": Charge,
    "refund": Refund,
    "report": Report,
}


def encode(value: Any) -> Any:
    """A value as JSON-able data, tagging Money, Decimal, datetime, bytes, tuples and Status."""
    if isinstance(value, Money):
        return {"$money": [str(value.amount), value.currency]}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Status):
        return {"$status": [value.state, value.reason_code, encode(value.updated_at)]}
    if isinstance(value, tuple):
        return {"$tuple": [encode(item) for item in value]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        return {"$dict": [[key, encode(item)] for key, item in value.items()]}
    return value


def decode(data: Any) -> Any:
    """The value `encode` made the data of."""
    if isinstance(data, list):
        return [decode(item) for item in data]
    if not isinstance(data, dict):
        return data
    (tag, inner), *_ = data.items()
    if tag == "$money":
        return Money(Decimal(inner[0]), inner[1])
    if tag == "$decimal":
        return Decimal(inner)
    if tag == "$datetime":
        return datetime.fromisoformat(inner)
    if tag == "$bytes":
        return base64.b64decode(inner)
    if tag == "$status":
        return Status(inner[0], inner[1], decode(inner[2]))
    if tag == "$tuple":
        return tuple(decode(item) for item in inner)
    if tag == "$dict":
        return {key: decode(item) for key, item in inner}
    raise ValueError(f"unknown tag {tag!r} in the sandbox state")


def _row(obj: Any) -> str:
    fields = {field.name: encode(getattr(obj, field.name)) for field in dataclasses.fields(obj)}
    return json.dumps(fields)


def _random_state(state: tuple[Any, ...]) -> str:
    return json.dumps(encode(state))


class StateFileError(ValueError):
    """The state file cannot be read as this sandbox's state."""


class SandboxStore:
    """One SQLite file holding one sandbox's state."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._connect() as db:
                db.executescript(SCHEMA)
        except sqlite3.Error as problem:
            raise StateFileError(f"{path}: cannot be used as a state file ({problem})") from None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30)) as db, db:
            yield db

    def save(self, sandbox: Sandbox) -> None:
        """Replace the stored state with the sandbox's (call under the ledger lock)."""
        ledger, reports = sandbox.ledger, sandbox.reports
        objects = [
            *(("permission", key, _row(obj)) for key, obj in ledger.permissions.items()),
            *(("charge", key, _row(obj)) for key, obj in ledger.charges.items()),
            *(("refund", key, _row(obj)) for key, obj in ledger.refunds.items()),
            *(("report", key, _row(obj)) for key, obj in reports.reports.items()),
        ]
        due = [(at.isoformat(), seq, kind, oid) for at, seq, kind, oid in ledger._events]
        answers = [
            (env, key, answer.fingerprint, answer.status, answer.body)
            for (env, key), answer in sandbox.idempotency.items()
        ]
        lead = sandbox.clock.now() - datetime.now(UTC)
        meta = {
            "format": FORMAT,
            "clock_lead_seconds": str(lead.total_seconds()),
            "clock_offset_seconds": str(sandbox.clock.offset_seconds),
            "ledger_random": _random_state(ledger._random.getstate()),
            "reports_random": _random_state(reports._random.getstate()),
            "period_start": reports.period_start.isoformat(),
        }
        with self._connect() as db:
            for table in ("meta", "objects", "due", "idempotency"):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            db.executemany("INSERT INTO objects VALUES (?, ?, ?)", objects)
            db.executemany("INSERT INTO due VALUES (?, ?, ?, ?)", due)
            db.executemany("INSERT INTO idempotency VALUES (?, ?, ?, ?, ?)", answers)

    def load(self, sandbox: Sandbox) -> bool:
        """Put the stored state into a fresh sandbox; False when nothing was stored yet."""
        try:
            with self._connect() as db:
                meta = dict(db.execute("SELECT name, value FROM meta").fetchall())
                if not meta:
                    return False
                objects = db.execute("SELECT kind, id, body FROM objects").fetchall()
                due = db.execute("SELECT at, seq, kind, object_id FROM due").fetchall()
                answers = db.execute("SELECT * FROM idempotency").fetchall()
            if meta.get("format") != FORMAT:
                raise ValueError(f"format {meta.get('format')!r}, expected {FORMAT!r}")
            self._restore(sandbox, meta, objects, due, answers)
        except (sqlite3.Error, ValueError, TypeError, KeyError) as problem:
            raise StateFileError(
                f"{self.path}: not a sandbox state this version can read ({problem}); "
                "delete it to start with a fresh sandbox"
            ) from None
        return True

    def _restore(
        self,
        sandbox: Sandbox,
        meta: dict[str, str],
        objects: list[Any],
        due: list[Any],
        answers: list[Any],
    ) -> None:
        ledger, reports = sandbox.ledger, sandbox.reports
        tables: dict[str, dict[str, Any]] = {
            "permission": ledger.permissions,
            "charge": ledger.charges,
            "refund": ledger.refunds,
            "report": reports.reports,
        }
        for kind, key, body in objects:
            fields = {name: decode(value) for name, value in json.loads(body).items()}
            tables[kind][key] = KINDS[kind](**fields)
        ledger._events = [
            (datetime.fromisoformat(at), seq, kind, oid) for at, seq, kind, oid in due
        ]
        heapq.heapify(ledger._events)
        ledger._sequence = itertools.count(max((row[1] for row in due), default=0) + 1)
        ledger._random.setstate(decode(json.loads(meta["ledger_random"])))
        reports._random.setstate(decode(json.loads(meta["reports_random"])))
        reports.period_start = datetime.fromisoformat(meta["period_start"])
        for env, key, print_, status, body in answers:
            sandbox.idempotency.store(env, key, StoredAnswer(print_, status, bytes(body)))
        sandbox.clock.resume(
            lead=timedelta(seconds=float(meta["clock_lead_seconds"])),
            offset=timedelta(seconds=float(meta["clock_offset_seconds"])),
        )
