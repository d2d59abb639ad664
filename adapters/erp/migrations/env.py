"""Alembic environment: migrate the connection handed in by `adapters.erp.migrate`.

Run from the `alembic` command line instead, it migrates the settings' database URL.
"""

from alembic import context
from sqlalchemy import Connection

from adapters.erp.schema import Base

connection = context.config.attributes.get("connection")


def run() -> None:
    if connection is not None:
        _migrate(connection)
        return
    from adapters.erp.store import make_engine  # only here: the settings model is slow to load
    from adapters.settings import ModuleSettings

    engine = make_engine(ModuleSettings().database_url)
    with engine.connect() as conn:
        _migrate(conn)
    engine.dispose()


def _migrate(conn: Connection) -> None:
    context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
