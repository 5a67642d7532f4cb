"""Preludes: SQL run before the migrations of a local or scratch build, never recorded.

`prelude = "supabase"` in dbtool.toml names one that ships inside the package
(src/dbtool/data/preludes/), so a pip-installed dbtool builds Supabase-flavoured
services without a copy of the file in every project. Any value that looks like
a path (it has a `/` or `\\`, or ends in `.sql`) is a file relative to the config
file's folder instead; a bare word that is no built-in name is a config error,
not a missing file found later.
"""

from __future__ import annotations

from pathlib import Path

from dbtool.errors import ConfigError, SourceLocation

BUILTIN_DIR = Path(__file__).resolve().parent / "data" / "preludes"


def builtin_names() -> tuple[str, ...]:
    """The names `prelude = "…"` accepts without a path, from the files the package ships."""
    return tuple(sorted(p.stem for p in BUILTIN_DIR.glob("*.sql")))


def builtin(name: str) -> Path | None:
    path = BUILTIN_DIR / f"{name}.sql"
    return path if name in builtin_names() else None


def is_path(value: str) -> bool:
    return "/" in value or "\\" in value or value.lower().endswith(".sql")


def resolve(value: str, root: Path, *, where: str = "prelude",
            location: SourceLocation | None = None) -> Path:
    """The prelude file a config value names: a built-in name, else a path under `root`."""
    if is_path(value):
        return root / value
    found = builtin(value)
    if found is None:
        known = ", ".join(builtin_names()) or "none"
        raise ConfigError(f"{where} names no built-in prelude {value!r} (built-in: {known})",
                          location=location,
                          hint='use a built-in name, or a path to a .sql file such as "db/prelude.sql"')
    return found
