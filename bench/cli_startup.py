"""Benchmark: start-up of the `amazon-payments` command line, as whole processes.

Run from the repository root:
    .venv/bin/python bench/cli_startup.py [--runs 7] [--repo DIR]

Three commands are timed, each in a fresh interpreter, alternating run by run with a baseline
that starts the same interpreter and does nothing (`python -c pass`):
  - `amazon-payments --help`                       target <= 0.3 s
  - `amazon-payments orders show X1` (X1 on file)   target <= 0.8 s
  - `amazon-payments db upgrade` (already newest)  target <= 1.0 s
Each process runs the console script's own two lines (`from cli.main import app; app()`) with
the checkout as its working directory, so `--repo` times another checkout (an older commit
unpacked with `git archive`) with the same interpreter. The store is a fresh SQLite file in a
temporary folder, migrated and holding one order X1. Wall and CPU (user + system) seconds and
the peak RSS are the kernel's account of each finished child (wait4); the medians are printed
with their ratio to the baseline's, and a JSON line last. Bytecode is cached (a first, untimed
run of each command writes it). On a busy machine the CPU seconds are the steadier figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ENTRY = "import sys\nfrom cli.main import app\nsys.argv[0] = 'amazon-payments'\nsys.exit(app())\n"
COMMANDS = {
    "baseline": None,
    "--help": ["--help"],
    "orders show X1": ["orders", "show", "X1"],
    "db upgrade": ["db", "upgrade"],
}
TARGETS = {"--help": 0.3, "orders show X1": 0.8, "db upgrade": 1.0}


def run_child(args: list[str] | None, repo: Path, env: dict[str, str]) -> dict[str, Any]:
    """One whole process: wall and CPU seconds, peak RSS in MB, exit code."""
    command = [sys.executable, "-c", "pass" if args is None else ENTRY, *(args or [])]
    start = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    error = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if child.stderr:
        child.stderr.close()
    if code != 0:
        raise SystemExit(f"{' '.join(args or ['pass'])} exited {code}: {error.strip()[-400:]}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
    }


def prepared_store(folder: Path, repo: Path) -> str:
    """A migrated SQLite store holding one order, X1, made by the checkout's own code."""
    url = f"sqlite:///{folder / 'erp.sqlite3'}"
    seed = (
        "from adapters.erp.migrate import upgrade\n"
        "from adapters.erp.store import UnitOfWork, make_engine\n"
        "from domain.documents import Customer, Document, DocumentType, Item\n"
        "from domain.money import Money\n"
        f"engine = make_engine({url!r})\n"
        "upgrade(engine)\n"
        "with UnitOfWork(engine) as uow:\n"
        "    uow.documents.add(Document(number='X1', doc_type=DocumentType.ORDER,\n"
        "        currency='EUR', items=[Item('A-1', 'Mug', 1, Money('20.00', 'EUR'))],\n"
        "        shipping=Money('4.90', 'EUR'), customer=Customer('Ada', 'ada@example.org'),\n"
        "        charge_permission_id='S02-0000000-0000001'))\n"
        "    uow.commit()\n"
    )
    subprocess.run([sys.executable, "-c", seed], cwd=repo, check=True)
    return url


def measure(repo: Path, runs: int) -> dict[str, dict[str, float]]:
    """Each command `runs` times, alternating with the baseline; medians and ratios."""
    with tempfile.TemporaryDirectory(prefix="cli-startup-") as folder:
        env = {
            **os.environ,
            "AMAZON_PAYMENTS_DATABASE_URL": prepared_store(Path(folder), repo),
            "PYTHONPATH": str(repo),
            "COLUMNS": "100",
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for args in COMMANDS.values():  # writes the bytecode; not timed
            run_child(args, repo, env)
        samples: dict[str, list[dict[str, Any]]] = {name: [] for name in COMMANDS}
        for _ in range(runs):
            for name, args in COMMANDS.items():
                samples[name].append(run_child(args, repo, env))
    base = samples["baseline"]
    result = {}
    for name, rows in samples.items():
        wall = statistics.median(row["wall"] for row in rows)
        cpu = statistics.median(row["cpu"] for row in rows)
        result[name] = {
            "wall_s": round(wall, 3),
            "cpu_s": round(cpu, 3),
            "peak_rss_mb": round(max(row["rss_mb"] for row in rows), 1),
            "wall_ratio": round(wall / statistics.median(r["wall"] for r in base), 2),
            "cpu_ratio": round(cpu / statistics.median(r["cpu"] for r in base), 2),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each command")
    parser.add_argument("--repo", type=Path, default=ROOT, help="the checkout to time")
    args = parser.parse_args()
    repo = args.repo.resolve()
    result = measure(repo, args.runs)
    load = os.getloadavg()[0]
    print(
        f"{repo}: {args.runs} runs each, median; load average {load:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        f"{'command':<16} {'wall s':>7} {'cpu s':>7} {'peak MB':>8} {'x wall':>7} "
        f"{'x cpu':>6}  target"
    )
    for name, row in result.items():
        target = f"<= {TARGETS[name]} s" if name in TARGETS else ""
        print(
            f"{name:<16} {row['wall_s']:>7.3f} {row['cpu_s']:>7.3f} {row['peak_rss_mb']:>8.1f} "
            f"{row['wall_ratio']:>7.2f} {row['cpu_ratio']:>6.2f}  {target}"
        )
    print(json.dumps({"repo": str(repo), "runs": args.runs, "load": round(load, 1), **result}))


if __name__ == "__main__":
    main()
