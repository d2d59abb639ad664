"""Benchmark: `amazon-payments settlement parse --json FILE` on a generated XML settlement
report, as whole processes, beside a bare `lxml.etree.iterparse` pass over the same file.

Run from the repository root:
    .venv/bin/python bench/settlement_parse.py [--orders 250000] [--orders 1000000] [--pairs 3]

Each report is generated once into bench/out/ (git-ignored, never committed) and reused while
its sidecar `.json` (orders, seed, money rows, total) matches. Then, alternately (A B A B ...),
fresh processes run (A) the real command `amazon-payments settlement parse --json FILE`
(streamed: the file read in pieces, parsed and checked chunk by chunk; the process prints its
JSON outcome, which is checked against the generator) and (B) the bare pass that reads every
money leaf. Start-up and imports are included. The ratio is taken pair by pair (the median is
printed) and each process's peak RSS is the kernel's own account of the finished child (wait4).
Targets, not asserted: A <= 2.0x B, A's peak <= 400 MB at any size.
`--reference` also runs the previous candidate (`iter_report` + `check_report_chunks` in one
pass, in a bare interpreter); `--parse-only` also times the chunked parse without the check;
BENCH_CHUNK_ROWS sets the chunk of those two. `--before DIR` also runs the same command from
another checkout with this virtualenv, in the same alternation: the figures this issue started
from, measured beside today's (`git archive 1e078ef | tar -x -C DIR`: the whole-report parse,
which refuses a report above its 512 MiB limit).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MAX_BYTES = 8 * 2**30  # the 1,000,000-order report is ~1.3 GB: above the default limit
SEED = 1


def bare_pass(path: Path) -> Decimal:
    """The floor: one iterparse over every element, summing the money leaves, freeing each
    transaction (a child of SettlementReport) once read. Imports lxml only."""
    from lxml import etree

    total = Decimal(0)
    for _event, element in etree.iterparse(str(path), events=("end",)):
        if element.get("currency") is not None:
            total += Decimal(str(element.text))
        elif (parent := element.getparent()) is not None and parent.tag == "SettlementReport":
            element.clear()
            while element.getprevious() is not None:
                del parent[0]
    return total


def parse_file(path: Path) -> Any:
    """The whole report as one ParsedReport (what bench/settlement_pipeline.py posts)."""
    from adapters.settlement_formats.parse import parse_report

    with path.open("rb") as stream:
        return parse_report(stream, max_bytes=MAX_BYTES)


def chunk_rows() -> int:
    """Rows per chunk in the children: BENCH_CHUNK_ROWS, else the parsers' default."""
    from domain.settlement.model import DEFAULT_CHUNK_ROWS

    return int(os.environ.get("BENCH_CHUNK_ROWS", DEFAULT_CHUNK_ROWS))


def stream_and_check(path: Path) -> dict[str, Any]:
    """Parse in chunks and check them as they come; nothing holds the whole report."""
    from adapters.quality.chunked import check_report_chunks
    from adapters.settlement_formats.parse import iter_report

    tally = {"rows": 0, "sum_minor": 0, "chunks": 0}

    def counted(chunks: Any) -> Any:
        for chunk in chunks:
            tally["rows"] += len(chunk.frame)
            tally["sum_minor"] += int(chunk.frame["amount_minor"].sum())
            tally["chunks"] += 1
            yield chunk

    with path.open("rb") as stream:
        chunks = iter_report(stream, max_bytes=MAX_BYTES, chunk_rows=chunk_rows())
        result = check_report_chunks(counted(chunks))
    return {
        "settlement_id": result.settlement_id,
        **tally,
        "valid": result.valid,
        "failed_expectations": result.failed_expectations,
    }


def stream_only(path: Path) -> dict[str, Any]:
    """Parse in chunks without the check (to tell the parse's share from the check's)."""
    from adapters.settlement_formats.parse import iter_report

    rows = total = 0
    with path.open("rb") as stream:
        for chunk in iter_report(stream, max_bytes=MAX_BYTES, chunk_rows=chunk_rows()):
            rows += len(chunk.frame)
            total += int(chunk.frame["amount_minor"].sum())
    return {"rows": rows, "sum_minor": total}


def run_child(command: list[str], *, check: bool = True) -> dict[str, Any]:
    """One whole process: wall and CPU seconds, peak RSS (MB) and its last output line.

    Args:
        check: a failed process ends the bench; otherwise its exit code is returned as well.
    """
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    out = child.stdout.read() if child.stdout else ""
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode and check:
        raise SystemExit(f"{command} exited {child.returncode}")
    return {
        "returncode": child.returncode,
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
        "output": out.strip().splitlines()[-1] if out.strip() else "",
    }


def command(path: Path) -> list[str]:
    """The real console script, as a user runs it (the size limit raised for the big file)."""
    script = str(Path(sys.executable).parent / "amazon-payments")
    return [script, "settlement", "parse", "--json", "--max-bytes", str(MAX_BYTES), str(path)]


def before_command(tree: Path, path: Path) -> list[str]:
    """`settlement parse --json FILE` of another checkout, on this virtualenv."""
    code = (
        f"import sys; sys.path.insert(0, {str(tree)!r}); from cli.main import app; "
        f"sys.argv = ['amazon-payments', 'settlement', 'parse', '--json', {str(path)!r}]; app()"
    )
    return [sys.executable, "-c", code]


def bench(
    path: Path,
    pairs: int,
    expected: dict[str, Any],
    parse_only: bool,
    reference: bool,
    before: Path | None = None,
) -> None:
    me = [sys.executable, str(Path(__file__).resolve())]
    runs: dict[str, list[dict[str, Any]]] = {
        "cli": [], "bare": [], "before": [], "stream": [], "parse": []
    }  # fmt: skip
    for _ in range(pairs):
        runs["cli"].append(run_child(command(path)))
        runs["bare"].append(run_child([*me, "--child", "bare", str(path)]))
        if before is not None:
            runs["before"].append(run_child(before_command(before, path), check=False))
        if reference:
            runs["stream"].append(run_child([*me, "--child", "stream", str(path)]))
        if parse_only:
            runs["parse"].append(run_child([*me, "--child", "parse", str(path)]))
    printed = json.loads(runs["cli"][-1]["output"])
    print(f"  settlement parse --json: {json.dumps(printed)}")
    if (printed["rows"], printed["total_amount"], printed["sum_amount"], printed["valid"]) != (
        expected["amounts"],
        expected["total"],
        expected["total"],
        True,
    ):
        raise SystemExit(f"settlement parse disagrees with the generator: {expected}")
    if any(run["returncode"] for run in runs["before"]):
        print(f"  before ({before}): refused, exit {runs['before'][-1]['returncode']}")
        runs["before"] = []
    labels = {
        "cli": "settlement parse --json",
        "bare": "bare iterparse pass",
        "before": "before (--before)",
        "stream": "reference: one-pass check",
        "parse": "parse only (chunks)",
    }
    for name, label in labels.items():
        if not runs[name]:
            continue
        walls = [r["wall"] for r in runs[name]]
        print(
            f"  {label:24} wall median {statistics.median(walls):6.2f} s "
            f"(min {min(walls):.2f}), CPU median "
            f"{statistics.median(r['cpu'] for r in runs[name]):6.2f} s, peak RSS "
            f"{max(r['peak_mb'] for r in runs[name]):6.0f} MB"
        )
    target = "  (target <= 2.0; peak RSS target <= 400 MB)"
    print_ratios("parse/bare", runs["cli"], runs["bare"], target)
    if runs["before"]:
        print_ratios("before/bare", runs["before"], runs["bare"])


def print_ratios(
    label: str, runs: list[dict[str, Any]], bare: list[dict[str, Any]], note: str = ""
) -> None:
    """Wall and CPU ratios against the bare pass of the same pair (medians, and each pair)."""
    wall = [r["wall"] / b["wall"] for r, b in zip(runs, bare, strict=True)]
    cpu = [r["cpu"] / b["cpu"] for r, b in zip(runs, bare, strict=True)]
    print(
        f"  ratio {label}: wall median {statistics.median(wall):.2f} "
        f"(pairs: {', '.join(f'{r:.2f}' for r in wall)}), CPU median "
        f"{statistics.median(cpu):.2f} (pairs: {', '.join(f'{r:.2f}' for r in cpu)}){note}"
    )


def generated_report(orders: int) -> tuple[Path, dict[str, Any]]:
    """bench/out/settlement-<orders>.xml, written unless its sidecar says it is already there."""
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    path, sidecar = out / f"settlement-{orders}.xml", out / f"settlement-{orders}.json"
    wanted = {"orders": orders, "seed": SEED}
    if path.exists() and sidecar.exists():
        known = json.loads(sidecar.read_text())
        if {k: known.get(k) for k in wanted} == wanted and known["bytes"] == path.stat().st_size:
            return path, known
    from sandbox.settlement_xml import write_settlement_xml

    started = time.perf_counter()
    report = write_settlement_xml(path, orders=orders, seed=SEED)
    known = {
        **wanted,
        "bytes": path.stat().st_size,
        "amounts": report.amounts,
        "total": str(report.total.amount),
        "seconds": round(time.perf_counter() - started),
    }
    sidecar.write_text(json.dumps(known))
    return path, known


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, action="append", help="default: 250000")
    parser.add_argument("--pairs", type=int, default=3, help="A/B pairs per report")
    parser.add_argument(
        "--parse-only", action="store_true", help="also time the chunked parse without the check"
    )
    parser.add_argument(
        "--reference",
        action="store_true",
        help="also run the previous candidate: iter_report + check_report_chunks in one pass "
        "(40-byte row-key hashes), without the command line",
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="also run `settlement parse --json` from this checkout (an earlier commit)",
    )
    parser.add_argument("--child", choices=("stream", "bare", "parse"), help=argparse.SUPPRESS)
    parser.add_argument("file", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "bare":
        print(json.dumps({"sum": str(bare_pass(args.file))}))
        return
    if args.child == "stream":
        print(json.dumps(stream_and_check(args.file)))
        return
    if args.child == "parse":
        print(json.dumps(stream_only(args.file)))
        return
    for orders in args.orders or [250_000]:
        path, known = generated_report(orders)
        print(
            f"{orders} orders: {known['bytes'] / 1e6:.0f} MB, {known['amounts']} money rows "
            f"(generated in {known['seconds']} s, kept in {path.relative_to(ROOT)})"
        )
        before = args.before.resolve() if args.before else None
        bench(path, args.pairs, known, args.parse_only, args.reference, before)


if __name__ == "__main__":
    main()
