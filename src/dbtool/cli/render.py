"""Rendering helpers shared by commands: JSON to stdout, text via Rich."""

from __future__ import annotations

import json
import sys
from typing import Any

from dbtool.secrets import mask, mask_data


def emit_json(document: Any) -> None:
    """Masked value by value before serialising (json.dumps escapes quotes, backslashes and
    non-ASCII letters, which a mask of the finished text would no longer recognise)."""
    text = json.dumps(mask_data(document), indent=2, sort_keys=False, default=lambda o: mask(str(o)))
    sys.stdout.write(mask(text) + "\n")


class _Masked:
    """A stream whose every write passes through `mask` (for Rich's tables and bars)."""

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr

    @property
    def _stream(self) -> Any:
        return sys.stderr if self._stderr else sys.stdout

    def write(self, text: str) -> int:
        return self._stream.write(mask(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def console(stderr: bool = False):
    from rich.console import Console

    return Console(file=_Masked(stderr), highlight=False, soft_wrap=True)


def line(text: str = "") -> None:
    sys.stdout.write(mask(text) + "\n")
    sys.stdout.flush()
