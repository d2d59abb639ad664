"""The dependency direction of ARCHITECTURE.md, checked on the source.

flows -> tasks -> adapters -> domain; the sandbox never borrows the client it plays against.
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
    "adapters": {"tasks", "flows", "sandbox", "cli", "deployments"},
    "tasks": {"flows", "cli", "deployments", "sandbox"},
    "sandbox": {"adapters.amazon_pay", "tasks", "flows", "deployments"},
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


def violations(package: str, forbidden: set[str], root: Path = REPO) -> list[str]:
    problems = []
    for path in sorted((root / package).rglob("*.py")):
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
