"""The shape of the code, read from its syntax tree: short functions, no private imports.

Covers the project's own packages; migrations (generated) and virtualenvs are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PACKAGES = ("staywell", "accounts", "claims", "vesting", "reports", "bench", "scripts", "tests")
MAX_FUNCTION_LINES = 80


def project_files() -> list[Path]:
    files: list[Path] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "migrations" in parts or any(part.startswith(".venv") for part in parts):
                continue
            files.append(path)
    return files


def parsed() -> list[tuple[str, ast.Module]]:
    return [
        (str(path.relative_to(ROOT)), ast.parse(path.read_text(encoding="utf-8")))
        for path in project_files()
    ]


def long_functions(name: str, tree: ast.Module, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """``file:line`` of every function (or method) longer than ``limit`` lines, decorators
    left out."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > limit:
                found.append(f"{name}:{node.lineno} {node.name} ({length} lines)")
    return found


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_project_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _module_aliases(tree: ast.Module) -> dict[str, str]:
    """Local names bound to the project's own modules: ``import a.b as m``, ``from a import
    b`` (when ``a/b.py`` is a module), ``import a.b`` (binds ``a``)."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    aliases[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                dotted = f"{node.module}.{alias.name}"
                if _is_project_module(dotted):
                    aliases[alias.asname or alias.name] = dotted
    return aliases


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def private_imports(name: str, tree: ast.Module) -> list[str]:
    """``file:line`` of every private name taken from another module: ``from module import
    _name`` or ``module._name`` on an imported project module (dunder names and
    ``__future__`` excepted)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            for alias in node.names:
                if _is_private(alias.name):
                    module = "." * node.level + (node.module or "")
                    found.append(f"{name}:{node.lineno} from {module} import {alias.name}")
    aliases = _module_aliases(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not _is_private(node.attr):
            continue
        base = _dotted(node.value)
        if base is None or base.split(".")[0] not in aliases:
            continue
        head, _, rest = base.partition(".")
        module = aliases[head] + ("." + rest if rest else "")
        if _is_project_module(module):
            found.append(f"{name}:{node.lineno} {module}.{node.attr}")
    return found


def test_the_layout_checks_find_what_they_look_for() -> None:
    source = (
        "from __future__ import annotations\n"
        "from vesting.ledger import _user_id, post\n"
        "from staywell import __version__\n"
        "from . import _local\n"
        "import staywell.money as m\n"
        "from staywell import money\n"
        "def short():\n    return m._x, money._y, money.__name__, self._z\n"
        "def long():\n" + "    x = 1\n" * 80
    )
    tree = ast.parse(source)
    assert long_functions("x.py", tree) == ["x.py:9 long (81 lines)"]
    assert private_imports("x.py", tree) == [
        "x.py:2 from vesting.ledger import _user_id",
        "x.py:4 from . import _local",
        "x.py:8 staywell.money._x",
        "x.py:8 staywell.money._y",
    ]


def test_the_project_files_are_found_without_migrations() -> None:
    names = {str(path.relative_to(ROOT)) for path in project_files()}
    assert "staywell/settings.py" in names
    assert "tests/unit/test_layout.py" in names
    assert not any("/migrations/" in name for name in names)


def test_no_function_is_longer_than_80_lines() -> None:
    found = [hit for name, tree in parsed() for hit in long_functions(name, tree)]
    assert not found, "functions over 80 lines:\n" + "\n".join(found)


def test_no_private_name_is_imported_from_another_module() -> None:
    found = [hit for name, tree in parsed() for hit in private_imports(name, tree)]
    assert not found, "private names imported from another module:\n" + "\n".join(found)
