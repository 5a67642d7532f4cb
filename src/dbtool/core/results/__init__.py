"""What the core commands return: frozen, typed results, each with `to_dict()` for JSON.

The CLI renders these; a library caller reads them. Statuses and actions are enums
(`StrEnum`, so they compare equal to their JSON text); lists are tuples; findings
keep their typed objects (`dbtool.diff.Change`, `SecurityFinding`, lint
`Diagnostic`) — `to_dict()` is where they become JSON, and its output is the
`--format json` document of each command.

One module per command family (run, status, schema, history, check, generate, guard,
init), each imported
on first use: `dbtool status` loads only `ServiceStatus`, so it starts as fast as before.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .check import CheckFinding, CheckReport, CheckStep, ServiceCheck, StepResult
    from .fleet import FleetEvent, FleetEventKind, FleetReport, FleetTarget, Outcome
    from .generate import DiffResult, DiffStatus, GeneratedFile
    from .guard import EditKind, FrozenEdit, GuardReport
    from .history import HistoryAction, HistoryItem, HistoryResult, UncomparedCounts
    from .init import InitResult, InitSnapshot
    from .run import AppliedFile, PlannedFile, Progress, ProgressKind, RunStatus, ServiceRun
    from .schema import AuditResult, HistoryProblem, SnapshotResult, SnapshotStatus, change_dict
    from .status import ServiceStatus

_HOMES = {
    **dict.fromkeys(("AppliedFile", "PlannedFile", "Progress", "ProgressKind", "RunStatus",
                     "ServiceRun"), "run"),
    "ServiceStatus": "status",
    **dict.fromkeys(("FleetEvent", "FleetEventKind", "FleetReport", "FleetTarget", "Outcome"), "fleet"),
    **dict.fromkeys(("AuditResult", "HistoryProblem", "SnapshotResult", "SnapshotStatus",
                     "change_dict"), "schema"),
    **dict.fromkeys(("HistoryAction", "HistoryItem", "HistoryResult", "UncomparedCounts"), "history"),
    **dict.fromkeys(("CheckFinding", "CheckReport", "CheckStep", "ServiceCheck", "StepResult"),
                    "check"),
    **dict.fromkeys(("DiffResult", "DiffStatus", "GeneratedFile"), "generate"),
    **dict.fromkeys(("EditKind", "FrozenEdit", "GuardReport"), "guard"),
    **dict.fromkeys(("InitResult", "InitSnapshot"), "init"),
}
__all__ = [
    "AppliedFile", "AuditResult", "CheckFinding", "CheckReport", "CheckStep", "DiffResult",
    "DiffStatus", "EditKind", "FleetEvent", "FleetEventKind", "FleetReport", "FleetTarget",
    "FrozenEdit", "GeneratedFile", "GuardReport", "HistoryAction", "HistoryItem",
    "HistoryProblem", "HistoryResult", "InitResult", "InitSnapshot", "Outcome", "PlannedFile",
    "Progress", "ProgressKind", "RunStatus", "ServiceCheck", "ServiceRun", "ServiceStatus",
    "SnapshotResult", "SnapshotStatus", "StepResult", "UncomparedCounts", "change_dict",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
