"""What every command needs: the settings and a store engine on the configured database."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from sqlalchemy import Engine

DATABASE_URL = "AMAZON_PAYMENTS_DATABASE_URL"


def engine() -> Engine:
    """An engine on AMAZON_PAYMENTS_DATABASE_URL (default: the SQLite file under data/)."""
    from adapters.erp.store import make_engine

    return make_engine(database_url())


def database_url() -> str:
    """The store's URL. Set in the environment, it wins over `.env` and the default, as in
    `ModuleSettings`; only then is the settings model (pydantic, a fifth of a command's
    start-up) not loaded for it."""
    url = os.environ.get(DATABASE_URL)
    if url is not None:
        return url
    from adapters.settings import ModuleSettings

    return ModuleSettings().database_url


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line to stderr and exit non-zero."""
    print(message, file=sys.stderr)
    raise typer.Exit(code)
