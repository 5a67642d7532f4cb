"""What `migrate/status/audit --fleet` return: one `FleetReport` with every target's result.

A fleet run is summarised the way an operator reads it: how many targets are at the
head migration, which are behind (grouped by the file they stopped at), which failed
(grouped by the error, with the target's own name taken out so that a thousand
targets failing alike make one group), which were unreachable, and — for status and
audit — which have modified or missing files and which drift alike.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from dbtool.errors import ExitCode


class Outcome(StrEnum):
    AT_HEAD = "at-head"  # every migration file applied (status: and none pending)
    BEHIND = "behind"  # files left to apply (stopped, --to, or status: pending)
    FAILED = "failed"  # an error on this target (a failed file, a refusal, a bad database)
    UNREACHABLE = "unreachable"  # could not connect
    NOT_STARTED = "not-started"  # never started: --fail-fast, a failed canary, Ctrl-C


class FleetEventKind(StrEnum):
    START = "start"  # the run begins: `total` targets
    DONE = "done"  # one target finished: `result`


@dataclass(frozen=True)
class FleetTarget:
    """One database of the fleet and what happened to it."""

    identity: str  # the database without credentials: path, host:port/db[/schema], ACCOUNT/UUID
    target: str  # its URL, masked
    outcome: Outcome
    head: str | None = None  # its newest applied file after the run (None: none, or unknown)
    applied: tuple[str, ...] = ()  # files this run applied to it
    pending: int = 0  # files still to apply
    error: str | None = None  # the one-line error (failed, unreachable)
    error_kind: str | None = None  # the error's type: migration-failed, history-conflict …
    modified: tuple[str, ...] = ()  # applied files changed since they ran
    missing: tuple[str, ...] = ()  # applied files without a file
    drift: tuple[str, ...] = ()  # audit: schema changes and history problems, described
    duration_ms: float = 0.0

    @property
    def error_group(self) -> str:
        """The error with this target's own names replaced, so alike failures group."""
        text = self.error or ""
        for name in sorted({self.target, self.identity}, key=len, reverse=True):
            if name:
                text = text.replace(name, "<target>")
        return text

    def to_dict(self) -> dict[str, object]:
        return {"identity": self.identity, "target": self.target, "outcome": self.outcome,
                "head": self.head, "applied": list(self.applied), "pending": self.pending,
                "error": self.error, "error_kind": self.error_kind, "modified": list(self.modified),
                "missing": list(self.missing), "drift": list(self.drift),
                "duration_ms": round(self.duration_ms, 3)}


@dataclass(frozen=True)
class FleetEvent:
    """Progress of a fleet run, for a progress bar or CI lines."""

    kind: FleetEventKind
    total: int = 0
    done: int = 0
    result: FleetTarget | None = None


@dataclass(frozen=True)
class FleetReport:
    """Every target of a fleet run (`migrate`, `status` or `audit` with `--fleet`)."""

    command: str
    service: str
    spec: str  # as given, masked
    head: str | None  # the service's newest migration file
    targets: tuple[FleetTarget, ...]
    matched: int  # databases the spec named (before --shard)
    jobs: int = 1
    shard: str | None = None  # "I/N"
    stopped: str | None = None  # why no further targets were started
    dry_run: bool = False
    seconds: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(t.outcome for t in self.targets)
        return {o.value: found.get(o, 0) for o in Outcome}

    @property
    def behind(self) -> dict[str, tuple[str, ...]]:
        """Targets behind the head, grouped by their own head file ("(none)": nothing applied)."""
        return _group((t.head or "(none)", t.identity) for t in self.targets
                      if t.outcome is Outcome.BEHIND)

    @property
    def failed(self) -> dict[str, tuple[str, ...]]:
        return _group((t.error_group, t.identity) for t in self.targets if t.outcome is Outcome.FAILED)

    @property
    def unreachable(self) -> tuple[str, ...]:
        return tuple(t.identity for t in self.targets if t.outcome is Outcome.UNREACHABLE)

    @property
    def heads(self) -> dict[str, int]:
        """Histogram of head files over the targets that could be read, newest first."""
        found = Counter(t.head or "(none)" for t in self.targets
                        if t.outcome in (Outcome.AT_HEAD, Outcome.BEHIND))
        return dict(sorted(found.items(), key=lambda kv: kv[0], reverse=True))

    @property
    def modified(self) -> dict[str, tuple[str, ...]]:
        """Applied files changed since they ran (file -> targets)."""
        return _group((name, t.identity) for t in self.targets for name in t.modified)

    @property
    def missing(self) -> dict[str, tuple[str, ...]]:
        return _group((name, t.identity) for t in self.targets for name in t.missing)

    @property
    def drift_groups(self) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        """Audit: targets with the same set of changes, largest group first (() is clean)."""
        groups: dict[tuple[str, ...], list[str]] = {}
        for t in self.targets:
            if t.outcome not in (Outcome.FAILED, Outcome.UNREACHABLE, Outcome.NOT_STARTED):
                groups.setdefault(t.drift, []).append(t.identity)
        return sorted(((k, tuple(v)) for k, v in groups.items()), key=lambda kv: (-len(kv[1]), kv[0]))

    @property
    def reachable(self) -> int:
        return sum(t.outcome not in (Outcome.UNREACHABLE, Outcome.NOT_STARTED) for t in self.targets)

    @property
    def exit_code(self) -> int:
        """0 every target at head (and clean) · 1 any failed, behind, not started, modified,
        missing or drifting · 3 none of the targets was reachable · 130 interrupted (Ctrl-C)."""
        if self.stopped == "interrupted":
            return int(ExitCode.INTERRUPTED)
        if self.targets and not any(t.outcome not in (Outcome.UNREACHABLE, Outcome.NOT_STARTED)
                                    for t in self.targets):
            return int(ExitCode.UNREACHABLE)
        problems = any(t.outcome is not Outcome.AT_HEAD or t.modified or t.missing or t.drift
                       for t in self.targets)
        return int(ExitCode.PROBLEMS) if problems else int(ExitCode.OK)

    def to_dict(self) -> dict[str, object]:
        return {
            "command": self.command, "service": self.service, "fleet": self.spec, "head": self.head,
            "matched": self.matched, "shard": self.shard, "jobs": self.jobs, "stopped": self.stopped,
            "dry_run": self.dry_run, "seconds": round(self.seconds, 3), "exit_code": self.exit_code,
            "counts": self.counts, "heads": self.heads,
            "behind": {k: list(v) for k, v in self.behind.items()},
            "failed": {k: list(v) for k, v in self.failed.items()},
            "unreachable": list(self.unreachable),
            "modified": {k: list(v) for k, v in self.modified.items()},
            "missing": {k: list(v) for k, v in self.missing.items()},
            "drift": [{"changes": list(k), "targets": list(v)} for k, v in self.drift_groups]
            if self.command == "audit" else [],
            "targets": [t.to_dict() for t in self.targets],
        }


def _group(pairs) -> dict[str, tuple[str, ...]]:
    groups: dict[str, list[str]] = {}
    for key, identity in pairs:
        groups.setdefault(key, []).append(identity)
    return {k: tuple(v) for k, v in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))}
