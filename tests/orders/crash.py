"""The crash harness: run a real `amazon-payments` process and SIGKILL it at an exact point.

The process is a fork of the test process (the command-line app is imported once, so a run
costs milliseconds, not the CLI's start-up). Before the command runs, the child arms one generic
hook: SQLAlchemy's `after_commit` on every ORM session, or the HTTP transport that carries
every Amazon call. The k-th commit (or the k-th answer from Amazon, read in full) kills the
process on the spot, as a power cut would. Nothing in the project knows about the harness.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass

import httpx
from sqlalchemy import event
from sqlalchemy.orm import Session

import cli.orders  # noqa: F401  (imported once here, not in every child)
import services.activation  # noqa: F401
import services.cancellation  # noqa: F401
import services.refunds  # noqa: F401
from cli.main import app

KILLED = -signal.SIGKILL
POINTS = ("commit", "answer")


@dataclass(frozen=True)
class Run:
    """How one child process ended: its exit code (KILLED when the hook fired) and output."""

    code: int
    output: str


def run_cli(args: list[str], env: Mapping[str, str], kill_at: tuple[str, int] | None = None) -> Run:
    """Run `amazon-payments ARGS` in a forked process; `kill_at` = ("commit" | "answer", k)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read_end)
        os.dup2(write_end, 1)
        os.dup2(write_end, 2)
        code = _child(args, env, kill_at)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        output = pipe.read().decode(errors="replace")
    _, status = os.waitpid(pid, 0)
    code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    return Run(code, output)


def _child(args: list[str], env: Mapping[str, str], kill_at: tuple[str, int] | None) -> int:
    try:
        os.environ.update(env)
        if kill_at is not None:
            _arm(*kill_at)
        result = app(args, prog_name="amazon-payments", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 1
    except BaseException as problem:  # click's Exit carries the code; anything else is a crash
        exit_code = getattr(problem, "exit_code", None)
        if isinstance(exit_code, int):
            return exit_code
        traceback.print_exc()
        return 70


def _arm(point: str, k: int) -> None:
    seen = 0

    def hit() -> None:
        nonlocal seen
        seen += 1
        if seen == k:
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    if point == "commit":
        event.listen(Session, "after_commit", lambda _session: hit())
    elif point == "answer":
        original = httpx.HTTPTransport.handle_request

        def handle(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
            response = original(self, request)
            response.read()  # Amazon's whole answer has arrived
            hit()
            return response

        httpx.HTTPTransport.handle_request = handle  # type: ignore[method-assign]
    else:
        raise ValueError(f"unknown kill point {point!r}")
