"""Run one dbtool command (or `python -c` code) under pyinstrument; write a JSON summary.

Executed by path in a subprocess with pyinstrument on PYTHONPATH (it is not a
dbtool dependency), so it imports nothing from `bench`:

    python bench/profile_driver.py OUT.json main ARG…     # dbtool ARG…
    python bench/profile_driver.py OUT.json code CODE ARG…  # python -c CODE ARG…

The summary splits the samples into import time (self time of every frame
under a module body, charged to the nearest module's package) and work time
(self time by function), plus the condensed call tree.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections import Counter
from typing import Any

from pyinstrument import Profiler
from pyinstrument.renderers import ConsoleRenderer

_SITE = re.compile(r"(?:site|dist)-packages/([^/]+)")
_SRC = re.compile(r"/src/(dbtool/[^/]+)")
_STDLIB = re.compile(r"/lib/python3\.\d+/([^/]+)")


def package_of(path: str) -> str:
    """sqlalchemy, typer, dbtool.cli, stdlib:json … for a frame's file path."""
    for pattern, prefix in ((_SRC, ""), (_SITE, ""), (_STDLIB, "stdlib:")):
        if match := pattern.search(path):
            name = match.group(1).removesuffix(".py").replace("/", ".").removesuffix(".py")
            return prefix + name
    return os.path.basename(path) or path


def short(path: str | None, function: str) -> str:
    path = path or "?"
    for marker in ("site-packages/", "/src/", "/lib/python3."):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{function}"


def walk(frame: Any, owner: str | None, imports: Counter[str], work: Counter[str]) -> None:
    if frame.is_synthetic:  # [self]/[await] frames: already in their parent's total_self_time
        return
    if frame.function == "<module>" and frame.file_path and not frame.file_path.startswith("<"):
        owner = package_of(frame.file_path)
    if owner:
        imports[owner] += frame.total_self_time
    else:
        work[short(frame.file_path, frame.function)] += frame.total_self_time
    for child in frame.children:
        walk(child, owner, imports, work)


def run(mode: str, rest: list[str]) -> None:
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        try:
            if mode == "main":
                from dbtool.cli import main

                main(rest)
            else:
                sys.argv = ["-c", *rest[1:]]
                exec(compile(rest[0], "<python -c>", "exec"), {"__name__": "__main__"})
        except SystemExit:
            pass


def main() -> None:
    out, mode, *rest = sys.argv[1:]
    profiler = Profiler(interval=0.0005)
    profiler.start()
    run(mode, rest)
    session = profiler.stop()
    root = session.root_frame()
    imports: Counter[str] = Counter()
    work: Counter[str] = Counter()
    if root is not None:
        walk(root, None, imports, work)
    tree = profiler.output(ConsoleRenderer(unicode=False, color=False, show_all=False,
                                           processor_options={"filter_threshold": 0.02}))
    summary = {"total": session.duration, "imports": imports.most_common(12),
               "work": work.most_common(12), "tree": tree}
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(summary, fh)


if __name__ == "__main__":
    main()
