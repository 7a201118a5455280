"""What the package imports at run time is a declared runtime dependency, and every runtime
dependency is used at run time; test and benchmark tools stay in extras."""

from __future__ import annotations

import ast
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

PACKAGE = Path(__file__).resolve().parents[1] / "dataprep"
# Runtime dependencies that no module names in an import but that run at build time:
# pyarrow is the engine under Polars' to_pandas (the gates) and Parquet/Arrow interchange.
USED_WITHOUT_IMPORT = {"pyarrow"}


def _imported_top_level_modules() -> set[str]:
    modules = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {"dataprep", "__future__"}


def _distributions(modules: set[str]) -> set[str]:
    by_module = metadata.packages_distributions()
    return {_canonical(d) for m in modules for d in by_module.get(m, [m])}


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-")


def _declared(extra: str | None = None) -> set[str]:
    """Return the runtime dependencies, or with ``extra`` those of that extra."""
    names = set()
    for line in metadata.requires("dataprep") or []:
        req = Requirement(line)
        if req.marker is None:
            wanted = extra is None
        else:
            wanted = extra is not None and req.marker.evaluate({"extra": extra})
        if wanted:
            names.add(_canonical(req.name))
    return names


def test_every_third_party_import_is_a_declared_runtime_dependency():
    used = _distributions(_imported_top_level_modules())
    assert used - _declared() == set()


def test_every_runtime_dependency_is_imported_by_the_package():
    used = _distributions(_imported_top_level_modules()) | USED_WITHOUT_IMPORT
    assert _declared() - used == set()


def test_test_and_benchmark_tools_are_extras_not_runtime_dependencies():
    runtime = _declared()
    for tool in ("pytest", "ruff", "datasets", "rensa"):
        assert tool not in runtime
    assert "datasets" in _declared("dev")
