"""Three names of the public API are also modules: `dbtool.diff` (the schema differ),
`dbtool.lint` (the lint rules) and `dbtool.snapshot` (snapshot files). Python binds a
package attribute to its submodule as soon as that submodule is imported, so a plain
function `dbtool.lint` would be replaced by the module the first time anything imports
`dbtool.lint.framework`. Instead those modules are callable: `dbtool.lint("api")` calls
`dbtool.api.lint("api")`, while `dbtool.lint.framework` and `dbtool.diff.Change` stay
what they are.

The forward goes through `importlib` by name, on call only: these modules sit below the
core and must not depend on it; only a caller of the public API reaches it.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import Any


class CommandModule(ModuleType):
    """A module that, called, runs the public API function of the same name."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        command = getattr(import_module("dbtool.api"), self.__name__.rpartition(".")[2])
        return command(*args, **kwargs)


def make_callable(name: str) -> None:
    """Make the module `name` (a module calling this at import) a `CommandModule`."""
    sys.modules[name].__class__ = CommandModule
