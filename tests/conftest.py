"""Shared fixtures: the ERP store on SQLite and, when TEST_POSTGRES_URL is set, on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# Every temporary Prefect server the tests start (the harness passes 120 itself; commands run
# as subprocesses start their own) gets the start-up wait that holds on a busy 2-core machine.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

from adapters.erp.migrate import upgrade  # noqa: E402
from adapters.erp.store import make_engine  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLES = Path(os.environ.get("AMAZON_PAYMENTS_SAMPLES", REPO.parent / "shared" / "samples"))

DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_POSTGRES_URL") else [])


@pytest.fixture
def samples() -> Path:
    """The shared folder of real report samples; tests that need it skip when it is absent."""
    if not SAMPLES.is_dir():
        pytest.skip(f"shared samples not found at {SAMPLES}")
    return SAMPLES


@pytest.fixture(params=DATABASES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A freshly migrated ERP store: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        store = make_engine(f"sqlite:///{tmp_path / 'erp.sqlite3'}")
        upgrade(store)
        yield store
        store.dispose()
        return
    url = os.environ["TEST_POSTGRES_URL"]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    # The schema travels in the URL, so commands that build their own engine land in it too.
    separator = "&" if "?" in url else "?"
    store = make_engine(f"{url}{separator}options=-csearch_path%3D{schema}")
    try:
        upgrade(store)
        yield store
    finally:
        store.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def database_url(engine: Engine) -> str:
    """The URL of the migrated store, for commands that build their own engine."""
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """The real Prefect engine on a temporary server, started once per test session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
