"""The dependency direction of ARCHITECTURE.md, checked on the source.

flows -> tasks -> services -> adapters -> domain; services know nothing of Prefect; every task
and flow reaches the store only through services; only `adapters/erp` speaks SQL; the sandbox
never borrows the client it plays against.
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


THROUGH_SERVICES = ("tasks", "flows")  # every module of both packages
STORE_INTERNALS = {"adapters.erp", "sqlalchemy"}

# Only adapters/erp speaks SQL. Everything else of the project may hold the store's engine (the
# edges build it and pass it on: `sqlalchemy.Engine` is its type), but writes and runs no SQL:
# no other name from SQLAlchemy (select, text, update, Session, ...), no `execute`/`scalars` on
# a connection or session, no reaching into a unit of work's `session`. adapters/reports keeps
# no SQL storage of its own, so it is held to this too. The sandbox is held to it as well, except
# for its state file (sandbox/persistence.py): that is Amazon's side of the table, a separate
# program's own SQLite file that the module never reads. bench/ is no part of the module: its
# harnesses seed and count rows with SQL of their own.
SQL_HOME = "adapters/erp"
SANDBOX_STATE = "sandbox/persistence.py"
SQL_CHECKED = (
    "domain",
    "services",
    "adapters",
    "tasks",
    "flows",
    "api",
    "cli",
    "deployments",
    "sandbox",
)
ENGINE_ONLY = {"Engine"}
SQL_ATTRIBUTES = {"session", "execute", "executemany", "exec_driver_sql", "scalars", "scalar"}


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


def sql_uses(path: Path, root: Path = REPO) -> list[str]:
    """Where a module writes or runs SQL, or reaches the names that do."""
    where = path.relative_to(root)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [
                f"{where}:{node.lineno} imports {alias.name}"
                for alias in node.names
                if alias.name.split(".")[0] == "sqlalchemy"
            ]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            names = {alias.name for alias in node.names}
            if node.module != "sqlalchemy" or not names <= ENGINE_ONLY:
                taken = ", ".join(
                    sorted(names - ENGINE_ONLY if node.module == "sqlalchemy" else names)
                )
                found.append(f"{where}:{node.lineno} imports {taken} from {node.module}")
        elif isinstance(node, ast.Attribute) and node.attr in SQL_ATTRIBUTES:
            found.append(f"{where}:{node.lineno} uses .{node.attr}")
    return found


def sql_outside_the_store(root: Path = REPO) -> list[str]:
    paths = [path for package in SQL_CHECKED for path in sorted((root / package).rglob("*.py"))]
    home, exempt = root / SQL_HOME, root / SANDBOX_STATE
    return sorted(
        use
        for path in paths
        if home not in path.parents and path != exempt
        for use in sql_uses(path, root)
    )


def test_only_the_erp_adapter_runs_sql():
    assert sql_outside_the_store() == []


def test_the_check_catches_sql_outside_the_erp_adapter(tmp_path):
    for package in ("services", "adapters/erp", "adapters/reports"):
        (tmp_path / package).mkdir(parents=True)
    (tmp_path / "services" / "bad.py").write_text(
        "from sqlalchemy import Engine, select\n"
        "def count(uow):\n"
        "    return uow.session.execute(select(1))\n"
    )
    (tmp_path / "adapters" / "reports" / "bad.py").write_text("import sqlalchemy.orm\n")
    (tmp_path / "adapters" / "erp" / "fine.py").write_text("from sqlalchemy import select, text\n")
    assert sql_outside_the_store(tmp_path) == [
        "adapters/reports/bad.py:1 imports sqlalchemy.orm",
        "services/bad.py:1 imports select from sqlalchemy",
        "services/bad.py:3 uses .execute",
        "services/bad.py:3 uses .session",
    ]


def test_the_engine_alone_may_be_passed_around(tmp_path):
    (tmp_path / "cli").mkdir()
    (tmp_path / "cli" / "fine.py").write_text("from sqlalchemy import Engine\n")
    assert sql_outside_the_store(tmp_path) == []


def test_the_check_catches_a_task_importing_the_store(tmp_path):
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "new_step.py").write_text("from adapters.erp.store import UnitOfWork\n")
    problems = [p for path in THROUGH_SERVICES for p in violations(path, STORE_INTERNALS, tmp_path)]
    assert problems == ["tasks/new_step.py:1 imports adapters.erp.store"]


def packages_without_a_docstring(root: Path = REPO) -> list[str]:
    """Every folder of Python code is a package whose `__init__.py` says what belongs there
    (Alembic's migration scripts excepted: Alembic loads them by path)."""
    problems = []
    folders = {path.parent for path in root.rglob("*.py") if ".venv" not in path.parts}
    for folder in sorted(folders):
        where = folder.relative_to(root)
        if where == Path(".") or "migrations" in where.parts or where.parts[0].startswith("."):
            continue
        init = folder / "__init__.py"
        if not init.exists():
            problems.append(f"{where}/ has no __init__.py")
        elif not ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))):
            problems.append(f"{where}/__init__.py opens with no docstring")
    return problems


def test_every_folder_opens_with_a_docstring_saying_what_belongs_there():
    assert packages_without_a_docstring() == []


def test_the_check_catches_a_folder_without_its_docstring(tmp_path):
    for folder in ("services", "bench", "adapters/erp", "adapters/erp/migrations"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "thing.py").write_text("x = 1\n")
    (tmp_path / "services" / "__init__.py").write_text('"""The use cases."""\n')
    (tmp_path / "bench" / "__init__.py").write_text("")
    (tmp_path / "adapters" / "__init__.py").write_text("")
    assert packages_without_a_docstring(tmp_path) == [
        "adapters/__init__.py opens with no docstring",
        "adapters/erp/ has no __init__.py",
        "bench/__init__.py opens with no docstring",
    ]
