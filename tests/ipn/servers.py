"""Real HTTP on loopback: uvicorn in a thread, and a tiny server of certificates that counts."""

from __future__ import annotations

import asyncio
import collections
import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp


class Loopback:
    """A socket bound on 127.0.0.1 (so the URL is known before the app) and uvicorn on it."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, app: ASGIApp) -> Loopback:
        config = uvicorn.Config(app, log_level="warning", lifespan="auto")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self.socket.close()

    def __enter__(self) -> Loopback:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class CertServer:
    """Serves PEMs registered by name at /certs/{name}, plus misbehaving routes; counts hits."""

    def __init__(self) -> None:
        self.pems: dict[str, bytes] = {}
        self.hits: collections.Counter[str] = collections.Counter()
        self.redirect_to = ""
        self.holds: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self.loopback = Loopback()
        self.url = self.loopback.url

    def add(self, name: str, pem: bytes) -> str:
        """Register a PEM; returns its URL."""
        self.pems[name] = pem
        return f"{self.url}/certs/{name}"

    def hanging(self, name: str) -> tuple[str, threading.Event]:
        """A URL whose requests hang until the event is set (then 404); returns both."""
        self.holds[name] = threading.Event()
        return f"{self.url}/hang/{name}", self.holds[name]

    def count(self, path: str) -> int:
        with self._lock:
            return self.hits[path]

    def app(self) -> Starlette:
        async def cert(request: Request) -> Response:
            self._hit(request)
            pem = self.pems.get(request.path_params["name"])
            if pem is None:
                return PlainTextResponse("not found", 404)
            return Response(pem, media_type="application/x-pem-file")

        async def redirect(request: Request) -> Response:
            self._hit(request)
            return RedirectResponse(self.redirect_to, status_code=302)

        async def big(request: Request) -> Response:
            self._hit(request)
            return Response(b"-" * 200_000, media_type="application/x-pem-file")

        async def failing(request: Request) -> Response:
            self._hit(request)
            return PlainTextResponse("down", 503)

        async def hang(request: Request) -> Response:
            self._hit(request)
            hold = self.holds.get(request.path_params["name"])
            while hold is not None and not hold.is_set():
                await asyncio.sleep(0.02)
            return PlainTextResponse("gone", 404)

        async def subscribe(request: Request) -> Response:
            self._hit(request)
            return PlainTextResponse("<ConfirmSubscriptionResponse/>")

        return Starlette(
            routes=[
                Route("/certs/{name}", cert),
                Route("/redirect/{name}", redirect),
                Route("/big.pem", big),
                Route("/failing.pem", failing),
                Route("/subscribe", subscribe),
                Route("/hang/{name}", hang),
            ]
        )

    def _hit(self, request: Request) -> None:
        with self._lock:
            self.hits[request.url.path] += 1
