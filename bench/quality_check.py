"""Time check_report on a synthetic ~800k-row report, and optionally parse+check of an XML file.

Run: .venv/bin/python -m bench.quality_check [ROWS] [--xml PATH]
With --xml it also times a bare lxml pass over the same file (the yardstick of the target
"parse + check <= 2x a bare lxml pass"). Wall and CPU seconds are both shown: CPU time is the
fairer number on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def _timed(label: str, step: Callable[[], Any]) -> Any:
    wall, cpu = time.perf_counter(), time.process_time()
    value = step()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<28} {wall:6.2f} s wall {cpu:6.2f} s cpu")
    return value


def _bare_lxml(path: Path) -> int:
    from lxml import etree

    count = 0
    tags = ("Order", "Adjustment", "Refund", "OtherTransaction")
    for _event, element in etree.iterparse(str(path), events=("end",), tag=tags):
        count += 1
        element.clear()
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", nargs="?", type=int, default=800_000)
    parser.add_argument("--xml", type=Path, help="an XML settlement report to parse and check")
    args = parser.parse_args()

    from adapters.quality.engine import validation_engine
    from adapters.quality.runner import check_report
    from tests.quality.frames import big_xml_report

    _timed("import + build GX context", validation_engine)
    report = _timed(f"synthesise {args.rows} rows", lambda: big_xml_report(args.rows))
    for _ in range(3):
        result = _timed("check_report (synthetic)", lambda: check_report(report))
        assert result.valid, result.message()
    if args.xml:
        from adapters.settlement_formats.parse import parse_report

        data = args.xml.read_bytes()
        _timed("bare lxml iterparse", lambda: _bare_lxml(args.xml))
        parsed = _timed("parse_report", lambda: parse_report(data, max_bytes=len(data) + 1))
        print(f"{len(parsed.frame)} rows parsed")
        result = _timed("check_report (parsed)", lambda: check_report(parsed))
        print(result.message())


if __name__ == "__main__":
    main()
