"""What every command needs: the settings and a store engine on the configured database."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from sqlalchemy import Engine

from adapters.erp.store import make_engine
from adapters.settings import ModuleSettings


def engine() -> Engine:
    """An engine on AMAZON_PAYMENTS_DATABASE_URL (default: the SQLite file under data/)."""
    return make_engine(ModuleSettings().database_url)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line to stderr and exit non-zero."""
    print(message, file=sys.stderr)
    raise typer.Exit(code)
