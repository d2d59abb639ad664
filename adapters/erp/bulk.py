"""Bulk inserts inside the caller's transaction: COPY on PostgreSQL, executemany elsewhere.

Posting a 100,000-order report writes some 200,000 payments; PostgreSQL takes them five to ten
times faster through COPY than through multi-row INSERTs. COPY fills every column it is given
and nothing else: Python-side column defaults (`created_at`) are applied here first, so both
paths store the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

import pandas as pd
from sqlalchemy import Table, insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import CallableColumnDefault, ScalarElementColumnDefault

if TYPE_CHECKING:
    from psycopg import Connection


def bulk_insert(session: Session, table: Table, records: Sequence[dict[str, Any]]) -> None:
    """Insert the records (dicts of column values) in the session's current transaction."""
    if not records:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), list(records))
        return
    from psycopg.types.json import Json

    rows = [_with_defaults(table, record) for record in records]
    columns = list(rows[0])
    # The PostgreSQL dialect here is psycopg 3 (the URL's `+psycopg`): its connection copies.
    connection = cast("Connection[Any]", session.connection().connection.driver_connection)
    names = ", ".join(f'"{name}"' for name in columns)
    statement = f'COPY "{table.name}" ({names}) FROM STDIN'
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([_copyable(row[name], Json) for name in columns])


def insert_frame(session: Session, table: Table, frame: pd.DataFrame) -> None:
    """Insert a frame's columns of the table's names (plain values, NA as NULL, no JSON, no
    defaults to apply): COPY on PostgreSQL without a dict per row, executemany elsewhere."""
    names = [column.name for column in table.columns if column.name in frame.columns]
    columns = [_values(frame[name]) for name in names]
    _insert_rows(session, table, names, zip(*columns, strict=True))


def _values(column: pd.Series) -> list[Any]:
    """A column's values as Python objects, NA as None."""
    values = column.astype(object)
    return cast(list[Any], values.where(column.notna(), None).tolist())


def _insert_rows(
    session: Session, table: Table, names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    if session.get_bind().dialect.name != "postgresql":
        records = [dict(zip(names, row, strict=True)) for row in rows]
        if records:
            session.execute(insert(table), records)
        return
    connection = cast("Connection[Any]", session.connection().connection.driver_connection)
    columns = ", ".join(f'"{name}"' for name in names)
    statement = f'COPY "{table.name}" ({columns}) FROM STDIN'
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _copyable(value: Any, json: Any) -> Any:
    """JSON columns take dicts and lists wrapped for psycopg; everything else as it is."""
    return json(value) if isinstance(value, dict | list) else value


def _with_defaults(table: Table, record: dict[str, Any]) -> dict[str, Any]:
    """The record plus the Python-side defaults of the columns it leaves out."""
    full = dict(record)
    for column in table.columns:
        if column.name in full or column.primary_key or column.default is None:
            continue
        default = column.default
        if isinstance(default, CallableColumnDefault):
            # The schema's callable defaults take no arguments (utcnow); SQLAlchemy wraps them
            # to accept an execution context, which COPY has not: the wrapper ignores it.
            full[column.name] = default.arg(None)  # type: ignore[arg-type]
        elif isinstance(default, ScalarElementColumnDefault):
            full[column.name] = default.arg
    return full


def create_temporary(session: Session, table: Table) -> None:
    """Create a temporary table in the session's transaction, gone when the transaction ends.

    PostgreSQL drops it at commit (`ON COMMIT DROP`, in the table's definition) and a rollback
    undoes the CREATE; SQLite undoes it on rollback, and `drop_temporary` drops it before a
    commit (a committed SQLite temporary table would outlive the transaction on its connection).
    """
    table.drop(session.connection(), checkfirst=True)
    table.create(session.connection())


def drop_temporary(session: Session, table: Table) -> None:
    """Drop a temporary table before the commit (SQLite; PostgreSQL drops it at commit)."""
    if session.get_bind().dialect.name != "postgresql":
        table.drop(session.connection())
