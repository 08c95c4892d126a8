"""The layering: wizard_site -> projects -> sessions_store, never back up (shared/notes/architecture.md)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_packages(package):
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add((node.module.split(".")[0], path.relative_to(ROOT).as_posix()))
            elif isinstance(node, ast.Import):
                found.update((alias.name.split(".")[0], path.relative_to(ROOT).as_posix()) for alias in node.names)
    return found


@pytest.mark.parametrize(
    "package, forbidden",
    [("sessions_store", {"projects", "wizard_site"}), ("projects", {"wizard_site"})],
)
def test_it_imports_only_downwards(package, forbidden):
    assert sorted((top, path) for top, path in imported_packages(package) if top in forbidden) == []
