"""Fault injection: named points in the apply path where a test can crash or stall dbtool.

The reliability tests (tests/reliability/) and `bench/faults.py` prove that a
SIGKILL at any moment leaves a database at a whole prefix of its migrations.
Random kill delays rarely land on the interesting instants (between a file's
statements, between the statements and the history row, just before COMMIT),
so the engines call `fault(POINT)` there, and the environment variable
`DBTOOL_FAULT` decides what happens:

    DBTOOL_FAULT=after-statements:kill        # SIGKILL at the first hit
    DBTOOL_FAULT=inside-file@3:kill           # SIGKILL at the third hit only
    DBTOOL_FAULT=while-locked:sleep=2         # hold the lock 2 s at every hit
    DBTOOL_FAULT=before-file:sleep=0.1,after-commit@2:kill

The variable is read once, at import. Unset (every real run), `fault` is a
function that returns at once, so the hooks cost nothing measurable.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from dataclasses import dataclass

ENV = "DBTOOL_FAULT"
POINTS = (
    "before-file",  # a file is about to start (its transaction not yet open)
    "inside-file",  # between two statements of a file
    "after-statements",  # every statement ran; the history row is not written yet
    "after-history",  # the history row is written; COMMIT has not been sent
    "after-commit",  # the file and its row are committed
    "while-locked",  # the run's lock (Postgres advisory / SQLite write lock) is held
    "before-lock",  # a writing command planned from the history and is about to take the run lock
)


@dataclass(frozen=True)
class Rule:
    """One `POINT[@N]:ACTION` item: `hit` None means every hit."""

    point: str
    action: str  # kill | sleep
    hit: int | None = None
    seconds: float = 0.0


def parse(value: str) -> tuple[Rule, ...]:
    """Parse a DBTOOL_FAULT value; raise ValueError naming the bad item."""
    return tuple(_parse_item(item.strip()) for item in value.split(",") if item.strip())


def _parse_item(item: str) -> Rule:
    where, _, action = item.partition(":")
    point, _, hit = where.partition("@")
    if point not in POINTS:
        raise ValueError(f"unknown fault point {point!r} (points: {', '.join(POINTS)})")
    if hit and not (hit.isdigit() and int(hit) > 0):
        raise ValueError(f"fault {item!r}: @N must be a positive hit number")
    if action == "kill":
        return Rule(point, "kill", int(hit) if hit else None)
    if action.startswith("sleep="):
        try:
            seconds = float(action.removeprefix("sleep="))
        except ValueError:
            seconds = -1.0
        if seconds >= 0:
            return Rule(point, "sleep", int(hit) if hit else None, seconds)
    raise ValueError(f"fault {item!r}: the action must be kill or sleep=SECONDS")


def _load() -> tuple[tuple[Rule, ...], str | None]:
    try:
        return parse(os.environ.get(ENV, "")), None
    except ValueError as exc:
        return (), str(exc)


_RULES, _ERROR = _load()
_hits: Counter[str] = Counter()


def _noop(point: str) -> None:
    """The hook when DBTOOL_FAULT is unset: nothing to do."""


def _active(point: str) -> None:
    """Count the hit and perform the action of every rule that matches it."""
    if _ERROR is not None:
        from dbtool.errors import ConfigError

        raise ConfigError(f"{ENV} is invalid: {_ERROR}", hint=f"unset {ENV} (it is a test hook)")
    _hits[point] += 1
    for rule in _RULES:
        if rule.point != point or (rule.hit is not None and rule.hit != _hits[point]):
            continue
        if rule.action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(rule.seconds)


fault = _active if (_RULES or _ERROR) else _noop
