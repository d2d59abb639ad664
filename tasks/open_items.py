"""The open-items artifact: one table with a fixed key, so the UI shows its latest version and
keeps the history of earlier sweeps."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NONE

from services.open_items import list_open_items
from services.resources import Resources

KEY = "open-items"


@task(cache_policy=NONE, retries=2, retry_delay_seconds=[2, 10])
def publish_open_items(res: Resources) -> int:
    """Publish the open items as the `open-items` table; how many there are."""
    rows = [item.row() for item in list_open_items(res)]
    create_table_artifact(
        key=KEY,
        table=rows or [{"number": "", "status": "no open items", "amount": "", "reason": ""}],
        description=f"{len(rows)} document(s) need a person or wait on Amazon",
    )
    return len(rows)
