"""GitHub Actions annotations (workflow commands), one renderer for every command.

`::error file=F,line=L,col=C,endLine=…,endColumn=…,title=CODE::message` — GitHub
shows it on line L of file F in the pull request, so F must be relative to the
repository root (the git top level, else the config file's folder). Escaping
follows GitHub's runner (toolkit `command.ts`): in the message `%`, CR and LF
become `%25`, `%0D`, `%0A`; property values additionally escape `:` and `,`
(`%3A`, `%2C`). A multi-line message (a view definition in a drift report, a
hint) therefore stays one annotation. The title is the finding's code; the hint
is part of the message (`help: …` on its own line), never a second annotation.

Pure functions of data: they return lines, the CLI prints them.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dbtool.errors import DbtoolError, SourceLocation

LEVELS = ("error", "warning", "notice")


@dataclass(frozen=True)
class Annotation:
    """One finding as GitHub shows it; `file` may be absolute (made relative on rendering)."""

    level: str  # error | warning | notice
    title: str  # the finding's code: DL102, SEC101, drift, history, migration-failed …
    message: str
    file: Path | str | None = None
    line: int | None = None
    col: int | None = None
    end_line: int | None = None
    end_col: int | None = None
    hint: str | None = None

    @classmethod
    def at(cls, level: str, title: str, message: str, location: SourceLocation | None,
           hint: str | None = None) -> Annotation:
        if location is None:
            return cls(level, title, message, hint=hint)
        return cls(level, title, message, location.path, location.line, location.col, hint=hint)


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(annotations: Iterable[Annotation], root: Path) -> list[str]:
    """One workflow command per annotation, paths relative to `root`."""
    return [render_one(a, root) for a in annotations]


def render_one(annotation: Annotation, root: Path) -> str:
    if annotation.level not in LEVELS:
        raise ValueError(f"annotation level {annotation.level!r} is not one of {LEVELS}")
    message = annotation.message
    props: list[str] = []
    shown = _relative(annotation.file, root) if annotation.file is not None else None
    if shown is not None:
        props.append(f"file={escape_property(shown)}")
        for key, value in (("line", annotation.line), ("endLine", annotation.end_line),
                           ("col", annotation.col), ("endColumn", annotation.end_col)):
            if value:
                props.append(f"{key}={value}")
    elif annotation.file is not None:  # outside the repository: GitHub cannot place it
        where = SourceLocation(annotation.file, annotation.line, annotation.col)
        message = f"{where}: {message}"
    props.append(f"title={escape_property(annotation.title)}")
    if annotation.hint:
        message = f"{message}\nhelp: {annotation.hint}"
    return f"::{annotation.level} {','.join(props)}::{escape_data(message)}"


def _relative(path: Path | str, root: Path) -> str | None:
    """`path` relative to `root` with forward slashes, or None when it lies outside."""
    target = Path(path)
    if not target.is_absolute():
        target = Path.cwd() / target
    try:
        return target.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def repository_root(start: Path | None = None, config: Path | None = None) -> Path:
    """The git top level holding `start` (default: the current folder); outside git,
    the folder of the config file (given, or found upwards), else `start`."""
    start = (start or Path.cwd()).resolve()
    try:
        done = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=start,
                              capture_output=True, text=True, timeout=30)
        if done.returncode == 0 and done.stdout.strip():
            return Path(done.stdout.strip())
    except (FileNotFoundError, subprocess.TimeoutExpired, NotADirectoryError):
        pass
    if config is None:
        from dbtool.config import find_config

        config = find_config(start)
    return config.resolve().parent if config is not None else start


def from_error(error: DbtoolError) -> Annotation:
    """A command's failure (a failed migration, a refused history …) as one annotation."""
    return Annotation.at("error", error.kind, error.message, error.location, error.hint)
