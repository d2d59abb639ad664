"""The dependency direction of ARCHITECTURE.md, checked on the source.

flows -> tasks -> services -> adapters -> domain; services know nothing of Prefect; the order
and settlement tasks and flows reach the store only through services; the sandbox never
borrows the client it plays against.
"""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# package -> top-level modules it must never import
FORBIDDEN = {
    "domain": {
        "prefect",
        "httpx",
        "sqlalchemy",
        "great_expectations",
        "adapters",
        "tasks",
        "flows",
        "sandbox",
        "cli",
        "deployments",
    },
    "adapters": {"services", "tasks", "flows", "sandbox", "cli", "deployments"},
    "services": {"prefect", "tasks", "flows", "cli", "deployments", "sandbox"},
    "tasks": {"flows", "cli", "deployments", "sandbox"},
    "sandbox": {"adapters.amazon_pay", "tasks", "flows", "deployments"},
    "api": {"tasks", "flows", "cli", "deployments", "sandbox", "adapters.erp", "sqlalchemy"},
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


THROUGH_SERVICES = (
    "tasks/orders.py",
    "flows/orders.py",
    "flows/sync.py",
    "tasks/settlement.py",
    "flows/settlement.py",
)
STORE_INTERNALS = {"adapters.erp", "sqlalchemy"}


def violations(package: str, forbidden: set[str], root: Path = REPO) -> list[str]:
    problems = []
    paths = [root / package] if package.endswith(".py") else (root / package).rglob("*.py")
    for path in sorted(paths):
        for line, module in imported_modules(path):
            for banned in forbidden:
                if module == banned or module.startswith(banned + "."):
                    problems.append(f"{path.relative_to(root)}:{line} imports {module}")
    return problems


def test_every_layer_imports_only_inward():
    problems = [p for package, banned in FORBIDDEN.items() for p in violations(package, banned)]
    assert problems == []


def test_the_check_catches_a_domain_module_importing_prefect(tmp_path):
    (tmp_path / "domain").mkdir()
    (tmp_path / "domain" / "bad.py").write_text("import os\nfrom prefect import flow\n")
    assert violations("domain", FORBIDDEN["domain"], tmp_path) == [
        "domain/bad.py:2 imports prefect"
    ]


def test_the_tasks_and_flows_reach_the_store_only_through_services():
    problems = [p for path in THROUGH_SERVICES for p in violations(path, STORE_INTERNALS)]
    assert problems == []


def test_the_check_catches_a_service_importing_prefect(tmp_path):
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "bad.py").write_text("from prefect import task\n")
    assert violations("services", FORBIDDEN["services"], tmp_path) == [
        "services/bad.py:1 imports prefect"
    ]


def test_the_check_catches_a_flow_running_sql(tmp_path):
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "sync.py").write_text("from sqlalchemy import select\n")
    assert violations("flows/sync.py", STORE_INTERNALS, tmp_path) == [
        "flows/sync.py:1 imports sqlalchemy"
    ]
