"""Take the README's screenshot of the `open-items` artifact in the Prefect UI.

Starts a Prefect server on a free loopback port (its own PREFECT_HOME in a temp folder), fills a
throwaway store with documents in the states the open items list, runs a flow that publishes the
artifact the way the `sync` sweep does, and photographs the artifact's page with headless
Chromium (Debian's `chromium` package; nothing is downloaded).

Run: .venv/bin/python docs/open_items_screenshot.py [--out docs/open-items.png]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fill_store(database_url: str) -> None:
    from adapters.erp.migrate import upgrade
    from adapters.erp.store import UnitOfWork, make_engine
    from domain.documents import Customer, Document, DocumentType, Item
    from domain.money import Money
    from domain.payment_status import Event
    from services.applying import apply_event

    engine = make_engine(database_url)
    upgrade(engine)
    story = {
        "HB100031": ("89.90", [(Event.AUTHORIZATION_TIMED_OUT, "no answer within the timeout")]),
        "HB100032": ("24.80", [(Event.AUTHORIZED, ""), (Event.ACTIVATION_REQUESTED, "")]),
        "HB100033": (
            "149.00",
            [
                (Event.AUTHORIZED, ""),
                (Event.ACTIVATION_REQUESTED, ""),
                (Event.CAPTURE_DECLINED, "Amazon: Declined/AmazonRejected"),
            ],
        ),
        "HB100034": (
            "59.00",
            [
                (Event.AUTHORIZED, ""),
                (Event.ACTIVATION_REQUESTED, ""),
                (Event.CAPTURE_INITIATED, ""),
            ],
        ),
    }
    for number, (price, events) in story.items():
        document = Document(
            number=number,
            doc_type=DocumentType.ORDER,
            currency="EUR",
            items=[Item("TASSE-WEISS", "Tasse weiß", 1, Money(price, "EUR"))],
            shipping=Money("0.00", "EUR"),
            customer=Customer("Erika Mustermann", "erika@example.org"),
        )
        with UnitOfWork(engine) as uow:
            uow.documents.add(document)
            uow.commit()
        for event, reason in events:
            with UnitOfWork(engine) as uow:
                apply_event(uow, number, event, reason)
                uow.commit()
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "open-items.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        api = f"http://127.0.0.1:{port}/api"
        env = {**os.environ, "PREFECT_HOME": folder, "PREFECT_API_URL": api,
               "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
               "PREFECT_UI_API_URL": api}  # fmt: skip
        server = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
             "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            for _ in range(240):
                try:
                    if httpx.get(f"{api}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
            database_url = f"sqlite:///{folder}/erp.sqlite3"
            fill_store(database_url)
            publish = (
                "from prefect import flow\n"
                "from services.resources import Resources\n"
                "from tasks.open_items import publish_open_items\n"
                "@flow(name='sync', flow_run_name='sync-screenshot')\n"
                "def sync():\n"
                "    res = Resources.from_environment()\n"
                "    publish_open_items(res)\n"
                "sync()\n"
            )
            subprocess.run(
                [sys.executable, "-c", publish],
                env={**env, "AMAZON_PAYMENTS_DATABASE_URL": database_url},
                cwd=REPO,
                check=True,
            )
            body = {
                "artifacts": {"key": {"any_": ["open-items"]}},
                "sort": "CREATED_DESC",
                "limit": 1,
            }
            [latest] = httpx.post(f"{api}/artifacts/filter", json=body, timeout=10).json()
            page = f"http://127.0.0.1:{port}/artifacts/artifact/{latest['id']}"
            args.out.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                 "--hide-scrollbars", "--window-size=1900,620",
                 "--virtual-time-budget=40000", "--run-all-compositor-stages-before-draw",
                 f"--screenshot={args.out}", page],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            print(f"wrote {args.out}")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
