"""Migration files on disk: discovery, order, checksums and directives.

Reading is split in two: `discover` reads bytes (cheap, enough for checksums
and status); `load` decodes and splits a file, and is called for pending files
before anything runs, so a bad file fails the run before it changes anything.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING

from dbtool.errors import MigrationFileError, SourceLocation
from dbtool.migrations.naming import Version, detect_scheme, parse_version

if TYPE_CHECKING:
    from dbtool.migrations.splitter import Scan

BOM = b"\xef\xbb\xbf"
KNOWN_DIRECTIVES = frozenset({"no-transaction", "lint-ignore"})
LEADING_ONLY = frozenset({"no-transaction"})
_DIRECTIVE = re.compile(r"--[ \t]*dbtool:(?P<name>[A-Za-z0-9_\-]*)(?P<rest>[^\r\n]*)")


@dataclass(frozen=True)
class MigrationFile:
    """One migration: identity is `name`, order is `version`."""

    name: str
    path: Path
    version: Version
    checksum: str
    raw: bytes

    @property
    def version_text(self) -> str:
        return self.name.split("_", 1)[0].split("-", 1)[0].split(".", 1)[0]


@dataclass(frozen=True)
class LoadedMigration:
    """A decoded, split migration, ready to apply."""

    file: MigrationFile
    text: str
    statements: tuple  # tuple[Statement, ...]
    directives: frozenset[str]

    @property
    def transactional(self) -> bool:
        return "no-transaction" not in self.directives


def normalise_bytes(raw: bytes) -> bytes:
    """Strip a BOM and normalise line endings, so a CRLF checkout is not an edit."""
    if raw.startswith(BOM):
        raw = raw[len(BOM):]
    return raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def checksum(raw: bytes) -> str:
    return hashlib.sha256(normalise_bytes(raw)).hexdigest()


def is_parked(name: str, ignore: Sequence[str] = ()) -> bool:
    """A parked file is never applied: its name starts with `_` (the Supabase CLI skips
    every file that does not match `<digits>_name.sql`, so teams park files that way),
    or it matches one of the service's `ignore` globs from dbtool.toml."""
    return name.startswith("_") or any(fnmatchcase(name, pattern) for pattern in ignore)


def parked_names(folder: Path, ignore: Sequence[str] = ()) -> list[str]:
    """The `.sql` files in `folder` that are parked, sorted by name (`status` lists them)."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir()
                  if p.suffix.lower() == ".sql" and is_parked(p.name, ignore) and p.is_file())


def discover(folder: Path, scheme: str | None = None,
             ignore: Sequence[str] = ()) -> tuple[list[MigrationFile], str]:
    """All `.sql` files directly in `folder`, ordered; other files, sub-folders and parked
    files (`is_parked`) are left out.

    Returns the files and the naming scheme (given, or detected from the names).
    """
    if not folder.is_dir():
        raise MigrationFileError(
            f"migrations folder {folder} does not exist",
            hint="create it, fix 'migrations' in dbtool.toml, or pass --dir",
        )
    paths = sorted(p for p in folder.iterdir()
                   if p.suffix.lower() == ".sql" and not is_parked(p.name, ignore) and _is_file(p))
    names = [p.name for p in paths]
    scheme = scheme or detect_scheme(names)
    files = []
    for path in paths:
        version = parse_version(path.name, scheme, folder)
        raw = _read(path)
        files.append(MigrationFile(path.name, path, version, checksum(raw), raw))
    files.sort(key=lambda f: f.version)
    return files, scheme


def _is_file(path: Path) -> bool:
    """A regular file (or a link to one); sub-folders are skipped, a dangling link is an error."""
    if path.is_file():
        return True
    if path.is_symlink() and not path.exists():
        raise MigrationFileError(
            f"migration file {path.name} is a symbolic link to nothing",
            location=SourceLocation(path), hint="restore the file it points to, or remove the link")
    return False


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise MigrationFileError(
            f"cannot read migration file {path.name}: {exc.strerror or exc}",
            location=SourceLocation(path),
            hint="dbtool reads every migration file: check its permissions (ls -l) and owner",
        ) from exc


def decode(file: MigrationFile) -> str:
    raw = file.raw[len(BOM):] if file.raw.startswith(BOM) else file.raw
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise MigrationFileError(
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
            location=SourceLocation(file.path, line, col),
            hint="re-save the file as UTF-8",
        ) from exc
    if "\x00" in text:
        offset = text.index("\x00")
        line = text.count("\n", 0, offset) + 1
        raise MigrationFileError(
            "file contains a NUL byte", location=SourceLocation(file.path, line),
            hint="remove the NUL character; migration files are text",
        )
    return text


def directives(file: MigrationFile, text: str, parsed: Scan) -> frozenset[str]:
    """Directives from `-- dbtool:NAME` comments; unknown ones are errors.

    A directive is a real `--` comment on its own line (`parsed` knows which `--` are
    comments, so the same words inside a string, a dollar-quoted body or a block
    comment are text). `no-transaction` must come before the first statement:
    the leading comments, block comments included."""
    found: set[str] = set()
    if "dbtool:" not in text:
        return frozenset(found)
    for start in parsed.line_comments:
        match = _DIRECTIVE.match(text, start)
        line_start = text.rfind("\n", 0, start) + 1
        if match is None or text[line_start:start].strip():
            continue  # not a directive, or a remark after code on the same line
        name = match.group("name")
        line = text.count("\n", 0, start) + 1
        where = SourceLocation(file.path, line, match.start("name") - line_start + 1)
        if name not in KNOWN_DIRECTIVES:
            raise MigrationFileError(
                f"unknown directive 'dbtool:{name}'", location=where,
                hint=f"known directives: {', '.join(sorted(KNOWN_DIRECTIVES))}",
            )
        if name in LEADING_ONLY and start > parsed.first_token:
            raise MigrationFileError(
                f"directive 'dbtool:{name}' must be in the file's leading comments", location=where,
                hint="move it above the first statement",
            )
        found.add(name)
    return frozenset(found)


def load(file: MigrationFile, dialect: str) -> LoadedMigration:
    """Decode and split a file; raises before anything runs if it cannot be read."""
    from dbtool.migrations.splitter import scan

    text = decode(file)
    parsed = scan(text, dialect, file.path)
    return LoadedMigration(file, text, tuple(parsed.statements), directives(file, text, parsed))
