"""Whole PostgreSQL databases: created for a cluster's Prefect server and ERP store, dropped by
its tests and benchmarks. `admin_url` points at a database of the server to connect through."""

from __future__ import annotations

from sqlalchemy import create_engine, text


def ensure_database(admin_url: str, name: str, fresh: bool = False) -> None:
    """Create the PostgreSQL database `name` if missing (dropped first when `fresh`)."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            if fresh:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            found = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if found is None:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def drop_database(admin_url: str, name: str) -> None:
    """Drop a database of a cluster (tests and benchmarks clean up after themselves)."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
