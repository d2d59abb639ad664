"""What the use cases work with: the ERP store, the Amazon client and the settings.

Built once at the edge (a flow run, a CLI command, the notification receiver) and passed down;
tests build their own. Nothing is cached between runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from adapters.amazon_pay import AmazonPayClient
from adapters.amazon_pay.gateway import AmazonGateway
from adapters.erp.changes import Publisher
from adapters.erp.store import UnitOfWork, make_engine
from adapters.events import prefect_publisher
from adapters.prefect_runs import FlowRuns, prefect_runs
from adapters.settings import AmazonPaySettings, ModuleSettings
from domain.document_types import DocumentTypes
from domain.next_step import Switches


class Resources:
    """The store's engine, one Amazon client (one set of token buckets) and the settings.

    The client may be given as a factory: it is then built at its first use, once, so a
    process that never calls Amazon (a notification about somebody else's object) needs no key.
    """

    def __init__(
        self,
        engine: Engine,
        amazon: AmazonPayClient | Callable[[], AmazonPayClient],
        settings: ModuleSettings,
        publish: Publisher | None = None,
        runs: FlowRuns | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.publish = publish  # where applied status changes go after their commit
        self.runs = runs  # the suspended authorization runs are resumed or ended through it
        self.types = document_types(settings)  # a bad name fails here, at the start
        self._amazon = amazon if isinstance(amazon, AmazonPayClient) else None
        self._make_amazon = amazon if not isinstance(amazon, AmazonPayClient) else None
        self._lock = threading.Lock()  # chunk tasks share one client from several threads

    @classmethod
    def from_environment(cls) -> Resources:
        """Resources from the `AMAZON_PAYMENTS_*` and `AMAZON_PAY_*` settings; status changes
        become Prefect events, and waiting authorization runs are resumed, where a Prefect API
        is configured or inside a flow run."""
        settings = ModuleSettings()
        return cls(
            make_engine(settings.database_url),
            lambda: AmazonPayClient.from_settings(AmazonPaySettings()),
            settings,
            prefect_publisher(),
            prefect_runs(),
        )

    @property
    def amazon(self) -> AmazonPayClient:
        """The Amazon client, built at its first use."""
        with self._lock:
            if self._amazon is None:
                assert self._make_amazon is not None
                self._amazon = self._make_amazon()
            return self._amazon

    def uow(self) -> UnitOfWork:
        """A new unit of work (one transaction) on the store."""
        uow = UnitOfWork(self.engine, self.types.after)
        uow.publish = self.publish
        return uow

    @property
    def switches(self) -> Switches:
        """The settings that allow the use cases to report to Amazon at all."""
        return Switches(
            report_shipment=self.settings.report_shipment,
            report_returns=self.settings.report_returns,
            report_cancellations=self.settings.report_cancellations,
        )

    @property
    def gateway(self) -> AmazonGateway:
        return AmazonGateway(self.amazon)

    def close(self) -> None:
        if self._amazon is not None:
            self._amazon.close()
        self.engine.dispose()

    def __repr__(self) -> str:  # never the client's key, never the database password
        return f"Resources(database={self.engine.url.render_as_string(hide_password=True)!r})"


def document_types(settings: ModuleSettings) -> DocumentTypes:
    """The document types the ERP sees, from `AMAZON_PAYMENTS_DOC_TYPE_*`."""
    return DocumentTypes(
        successful=settings.doc_type_successful,
        pending=settings.doc_type_pending,
        failed=settings.doc_type_failed,
        shipped=settings.doc_type_shipped,
        returned=settings.doc_type_returned,
    )


@contextmanager
def resources() -> Iterator[Resources]:
    """Resources from the environment for one run, closed when the run ends."""
    res = Resources.from_environment()
    try:
        yield res
    finally:
        res.close()
