"""Rendering helpers shared by commands: JSON to stdout, text via Rich."""

from __future__ import annotations

import json
import sys
from typing import Any

from dbtool.secrets import mask


def emit_json(document: Any) -> None:
    sys.stdout.write(mask(json.dumps(document, indent=2, sort_keys=False, default=str)) + "\n")


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def line(text: str = "") -> None:
    sys.stdout.write(mask(text) + "\n")
    sys.stdout.flush()
