"""Lazy access to pglast's AST classes and enums.

pglast (the Postgres parser) costs a few hundred milliseconds to import. The
rule modules mention its node classes, but only reach them for Postgres
statements, so SQLite/D1 runs -- including `dbtool migrate`'s D1 pre-flight
check -- never import it.
"""

from __future__ import annotations

import importlib
from typing import Any


class _LazyModule:
    """Imports `module` on first attribute access, then behaves like it."""

    def __init__(self, module: str, attribute: str | None = None) -> None:
        self._module = module
        self._attribute = attribute

    def __getattr__(self, name: str) -> Any:
        target = importlib.import_module(self._module)
        if self._attribute is not None:
            target = getattr(target, self._attribute)
        value = getattr(target, name)
        setattr(self, name, value)  # cache: the next access is a plain attribute
        return value


ast: Any = _LazyModule("pglast.ast")
ConstrType: Any = _LazyModule("pglast.enums", "ConstrType")
