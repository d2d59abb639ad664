"""Benchmark: parse_report on a 100,000-order XML settlement report against a bare iterparse pass.

Run from the repository root:  .venv/bin/python bench/settlement_parse.py [--orders N]
It writes bench/out/settlement-<N>.xml (gitignored), times (a) a bare lxml iterparse pass that
sums every money leaf and (b) parse_report, in the same run, and measures the parse's peak
memory in fresh subprocesses (RSS growth, and tracemalloc's peak of Python-visible memory)
against the frame's own size. Targets, not asserted: parse <= 2x bare, peak <= 2x frame.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402

from domain.settlement.model import ParsedReport  # noqa: E402
from domain.settlement.parse import parse_report  # noqa: E402
from domain.settlement.xml_transactions import KIND_OF_ELEMENT  # noqa: E402
from sandbox.settlement_xml import write_settlement_xml  # noqa: E402

_TRANSACTIONS = frozenset(KIND_OF_ELEMENT)
T = TypeVar("T")


def bare_pass(path: Path) -> Decimal:
    """The floor: one iterparse over every element, summing the money leaves, freeing as it goes."""
    total = Decimal(0)
    for _event, element in etree.iterparse(str(path), events=("end",)):
        if element.get("currency") is not None:
            total += Decimal(str(element.text))
        elif element.tag in _TRANSACTIONS:
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
    return total


def parse_file(path: Path) -> ParsedReport:
    with path.open("rb") as stream:
        return parse_report(stream, max_bytes=2**31)


def timed(function: Callable[..., T], *args: object) -> tuple[float, float, T]:
    """(CPU seconds, wall seconds, result) of one call."""
    started, started_cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return time.process_time() - started_cpu, time.perf_counter() - started, result


def best_of(repeat: int, path: Path) -> dict[str, tuple[float, float]]:
    """The fastest (CPU, wall) seconds of bare pass and parse, run alternately `repeat` times.

    CPU time is what the ratio uses: on a machine shared with other jobs, wall time measures
    the neighbours as much as the parser; alternating spreads their load over both.
    """
    runs: dict[str, list[tuple[float, float]]] = {"bare": [], "parse": []}
    for _ in range(repeat):
        cpu, wall, _total = timed(bare_pass, path)
        runs["bare"].append((cpu, wall))
        cpu, wall, _report = timed(parse_file, path)
        runs["parse"].append((cpu, wall))
    return {
        name: (min(cpu for cpu, _ in times), min(wall for _, wall in times))
        for name, times in runs.items()
    }


def _current_rss() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize()


def measure_memory(path: Path, mode: str) -> dict[str, float]:
    """Run in a fresh process: the parse's peak memory beside the frame's own size."""
    if mode == "tracemalloc":
        tracemalloc.start()
        report = parse_file(path)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    else:
        baseline = _current_rss()
        report = parse_file(path)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - baseline
    frame_bytes = int(report.frame.memory_usage(deep=True).sum())
    return {"peak": peak, "frame": frame_bytes, "rows": len(report.frame)}


def _in_subprocess(path: Path, mode: str) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--memory", mode, "--file", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--memory", choices=("rss", "tracemalloc"), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory:
        print(json.dumps(measure_memory(args.file, args.memory)))
        return
    path = ROOT / "bench" / "out" / f"settlement-{args.orders}.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    generated = write_settlement_xml(path, orders=args.orders, seed=1)
    print(
        f"generated {path.name}: {path.stat().st_size / 1e6:.1f} MB, {generated.amounts} amounts,"
        f" in {time.perf_counter() - started:.1f} s"
    )
    bare_total, report = bare_pass(path), parse_file(path)
    assert report.frame["amount_minor"].sum() == generated.total.to_minor()
    assert bare_total == 2 * generated.total.amount  # TotalAmount is a money leaf too
    rows = len(report.frame)
    del report
    times = best_of(args.repeat, path)
    (bare_cpu, bare_wall), (parse_cpu, parse_wall) = times["bare"], times["parse"]
    print(f"bare iterparse pass: {bare_cpu:.2f} s CPU ({bare_wall:.2f} s wall)")
    print(f"parse_report:        {parse_cpu:.2f} s CPU ({parse_wall:.2f} s wall), {rows} rows")
    print(
        f"ratio parse/bare:    {parse_cpu / bare_cpu:.2f} CPU, "
        f"{parse_wall / bare_wall:.2f} wall  (target <= 2)"
    )
    for mode in ("rss", "tracemalloc"):
        memory = _in_subprocess(path, mode)
        print(
            f"peak memory ({mode}): {memory['peak'] / 1e6:.0f} MB vs frame "
            f"{memory['frame'] / 1e6:.0f} MB: ratio {memory['peak'] / memory['frame']:.2f}"
            " (target <= 2)"
        )


if __name__ == "__main__":
    main()
