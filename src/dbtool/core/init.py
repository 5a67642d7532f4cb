"""`init`, part two: the dbtool.toml for what `init_detect` found, written so it works at once.

"Works at once" means `dbtool status` and `dbtool check` run with no edit: the
file is checked by the real config loader before it is written, and each
service's snapshot is written from its migrations (a scratch build) unless one
exists. Nothing is overwritten: an existing dbtool.toml or `[tool.dbtool]`
refuses the run before anything is written.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

from dbtool.core.init_detect import Detected, detect, down_section
from dbtool.core.results.init import InitResult, InitSnapshot
from dbtool.errors import DbtoolError, UsageError

HEADER = """\
# dbtool configuration, written by `dbtool init` from the files this project has.
# URLs never live here: a target names the environment variable that holds its URL.
# With no URL, sqlite/d1 services build .dbtool/local/<service>.db (or wrangler's local
# state), and postgres services are reported as skipped. See README "Configuration".\
"""


def init_project(root: Path, *, dialect: str | None = None, dry_run: bool = False,
                 split_down: bool = False, snapshots: bool = True) -> InitResult:
    """Detect, render and (unless `dry_run`) write dbtool.toml, down files and snapshots."""
    root = root.resolve()
    config = root / "dbtool.toml"
    _refuse_existing(root)
    found = detect(root, dialect)
    text = render(found.services)
    result = InitResult(root, config, tuple(found.services), tuple(found.notes), text, dry_run=dry_run)
    _validate(text, root)
    downs = [(s, name) for s in found.services for name in s.down_sections]
    if downs and not split_down:
        service, first = downs[0]
        raise UsageError(
            f"{len(downs)} file(s) in {service.migrations} hold a `-- migrate:down` section "
            f"({first} …), which dbtool would run as part of the migration",
            hint="rerun with --split-down to move each to down/<same name>.sql (where `dbtool "
                 "rollback` reads it), or move them yourself")
    if dry_run:
        return replace(result, split=tuple(f"{s.migrations}/{n}" for s, n in downs))
    split = tuple(_split(root / s.migrations, n, root) for s, n in downs)
    config.write_text(text, encoding="utf-8", newline="\n")
    return replace(result, split=split, written=True,
                   snapshots=_snapshots(config) if snapshots else ())


def _refuse_existing(root: Path) -> None:
    if (root / "dbtool.toml").exists():
        raise UsageError(f"{root / 'dbtool.toml'} already exists; dbtool init never overwrites it",
                         hint="edit it, or move it away and run dbtool init again "
                              "(--dry-run prints what init would write)")
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            return
        if "dbtool" in data.get("tool", {}):
            raise UsageError(f"{pyproject} already has [tool.dbtool]; dbtool init never overwrites it",
                             hint="edit that table, or remove it and run dbtool init again")


def _validate(text: str, root: Path) -> None:
    """The rendered file must load with the real loader (a bug here is ours, not the user's)."""
    import tomllib

    from dbtool.config import _build_project

    _build_project(tomllib.loads(text), root / "dbtool.toml")


def _string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def render(services: list[Detected]) -> str:
    parts = [HEADER]
    for s in services:
        parts.append("")
        for comment in s.comments:
            parts.extend(f"# {text}" for text in textwrap.wrap(comment, 96, break_on_hyphens=False))
        parts.append(f"[services.{s.name}]")
        for key, value in _keys(s):
            parts.append(f"{key} = {value}")
    return "\n".join(parts) + "\n"


def _keys(s: Detected) -> list[tuple[str, str]]:
    keys = [("dialect", _string(s.dialect))]
    if s.wrangler is not None:
        keys.append(("wrangler", _string(s.wrangler)))
        if s.binding is not None:
            keys.append(("binding", _string(s.binding)))
    else:
        keys.append(("migrations", _string(s.migrations)))
    keys.append(("snapshot", _string(f"schemas/{s.name}.yaml")))
    if s.naming is not None:
        keys.append(("naming", _string(s.naming)))
    if s.prelude is not None:
        keys.append(("prelude", _string(s.prelude)))
    if s.exposed_schemas:
        keys.append(("schemas", json.dumps(["public"])))
        keys.append(("exposed_schemas", json.dumps(list(s.exposed_schemas))))
    if s.url_env is not None:
        keys.append(("url_env", _string(s.url_env)))
    return keys


def _split(folder: Path, name: str, root: Path) -> str:
    """Move a dbmate file's down section to down/<name>.sql; the up part stays, dbmate-valid."""
    path = folder / name
    text = path.read_bytes().decode("utf-8")
    down = down_section(text) or ""
    target = folder / "down" / name
    if target.exists():
        raise UsageError(f"{target} already exists", hint="merge the down section by hand")
    head = text[: len(text) - len(down)]
    marker = head.rstrip().rsplit("\n", 1)[-1]
    up = head[: len(head.rstrip()) - len(marker)].rstrip() + "\n"
    target.parent.mkdir(exist_ok=True)
    target.write_text(f"-- Rollback of {name} (moved from its {marker.strip()} section by dbtool init)\n"
                      f"{down.strip()}\n", encoding="utf-8", newline="\n")
    path.write_text(up, encoding="utf-8", newline="\n")
    return path.relative_to(root).as_posix()


def _snapshots(config: Path) -> tuple[InitSnapshot, ...]:
    """Write each service's snapshot from a scratch build; a service that cannot be built is
    reported (skipped: no scratch server; failed: the migrations do not apply)."""
    from dbtool.config import load_project

    project = load_project(config)
    return tuple(_snapshot(service, project, config) for service in project.services)


def _snapshot(service: Any, project: Any, config: Path) -> InitSnapshot:
    from dbtool.core.schema_ops import snapshot_service
    from dbtool.core.targets import TargetSpec, Use, resolve_targets

    path = str(service.snapshot)
    if service.snapshot is not None and service.snapshot.exists():
        return InitSnapshot(service.name, path, "kept", "a snapshot already exists")
    try:
        spec = TargetSpec(services=(service.name,), config=config)
        resolved = resolve_targets(spec, Use.SCRATCH, project=project).one.service
        result = snapshot_service(resolved, project)
    except DbtoolError as exc:
        return InitSnapshot(service.name, path, "failed", exc.one_line())
    return InitSnapshot(service.name, path, str(result.status), result.skip_reason)
