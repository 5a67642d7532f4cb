"""The layers of docs/architecture.md, read from the source: model <- engines <- core <- cli.

Every `import` counts, also the lazy ones inside functions (a lazy import is still a
dependency; it only moves its cost).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "dbtool"

# package -> dbtool packages it must never import
FORBIDDEN = {
    "model": {"engines", "core", "cli", "inspect", "migrations", "config", "d1", "lint", "report",
              "plan"},
    "model_data": {"engines", "core", "cli", "inspect", "migrations", "config", "d1", "lint",
                   "report", "plan"},
    "quoting": {"engines", "core", "cli", "inspect", "model"},
    "migrations": {"engines", "core", "cli"},
    "inspect": {"engines", "core", "cli"},
    "d1": {"engines", "core", "cli"},
    "engines": {"core", "cli", "lint", "report", "plan"},
    "urls": {"engines", "core", "cli"},
    "config": {"engines", "core", "cli"},
    "core": {"cli", "api", "testing"},
    "api": {"cli", "testing"},  # the public API: the CLI calls it, never the reverse
    "testing": {"cli"},  # pytest fixtures over the public API
}
# third-party packages only these dbtool packages may import
CONFINED = {"typer": {"cli"}, "click": {"cli"}, "rich": {"cli", "report"},
            "sqlalchemy": {"plan"}, "alembic": {"plan"}}


def _imports(source: str, module: str, *, package: bool = False) -> set[str]:
    """Absolute names of every module `source` (the module `module`) imports."""
    home = module if package else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = home.split(".")[: len(home.split(".")) - node.level + 1]
                found.add(".".join([*base, *([node.module] if node.module else [])]))
            elif node.module:
                found.add(node.module)
    return found


def _violations(layer: str, names: set[str]) -> list[str]:
    bad = []
    for name in sorted(names):
        top, _, rest = name.partition(".")
        if (top == "dbtool" and rest.split(".")[0] in FORBIDDEN.get(layer, ())) or (top in CONFINED and layer not in CONFINED[top]):
            bad.append(name)
    return bad


def test_every_package_imports_only_the_layers_below_it() -> None:
    broken = []
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        module = ".".join(parts).removesuffix(".__init__")
        names = _imports(path.read_text(encoding="utf-8"), module, package=path.name == "__init__.py")
        broken += [f"{path.relative_to(SRC)} imports {n}" for n in _violations(parts[1], names)]
    assert not broken, "\n".join(broken)


def test_lazy_and_relative_imports_count() -> None:
    """A lazy import of the CLI inside an engine function, or a relative one of core, is found."""
    source = "def f():\n    from dbtool.cli import render\n    from ..core import targets\n    import typer\n"
    names = _imports(source, "dbtool.engines.fake")
    assert names == {"dbtool.cli", "dbtool.core", "typer"}
    assert _violations("engines", names) == ["dbtool.cli", "dbtool.core", "typer"]
    assert _violations("cli", names) == []
