"""`guard`: refuse edits to migration files that already look applied.

wrangler, dbmate and Supabase all break when an applied file changes: wrangler
never notices (the database and the file disagree for ever), dbmate and Supabase
likewise, and a renamed file is applied a second time. dbtool itself refuses
such a file at `migrate` time — too late for a reviewer. The rule, applied to
every configured service's migrations folder (`.sql` files directly inside;
`down/` rollback files may change):

* a file that exists at REV (default `HEAD`: committed, so possibly applied
  somewhere) must still exist under the same name (else: `deleted`, or
  `renamed` when a file with the same content exists under a new name), and
* its content must equal REV's by dbtool's checksum (`modified` otherwise), so a
  CRLF checkout or a byte-order mark is not an edit.

New files are never refused. The working tree is compared (pre-commit stashes
unstaged changes first, so there it is the staged content).
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from dbtool.core.results.guard import EditKind, FrozenEdit, GuardReport
from dbtool.core.targets import TargetSpec, Use, resolve_targets
from dbtool.errors import UsageError
from dbtool.migrations.files import checksum


def _git(cwd: Path, *args: str, binary: bool = False) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=not binary,
                              timeout=120)
    except FileNotFoundError as exc:
        raise UsageError("dbtool guard needs git, which is not installed",
                         hint="install git; guard compares files with a git revision") from exc


def _top(root: Path) -> Path:
    done = _git(root, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise UsageError(f"{root} is not inside a git work tree",
                         hint="dbtool guard compares migration files with a git revision")
    return Path(done.stdout.strip())


def _committed(top: Path, revision: str, folder: str) -> dict[str, str]:
    """name -> blob id of the `.sql` files directly in `folder` at `revision`.

    HEAD of a repository without commits (the first commit) holds no files."""
    if revision == "HEAD" and _git(top, "rev-parse", "--verify", "-q", "HEAD").returncode != 0:
        return {}
    done = _git(top, "ls-tree", "-z", f"{revision}", "--", f"{folder}/")
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["git ls-tree failed"])[-1]
        raise UsageError(f"--against {revision}: {message}",
                         hint="pass a revision git knows (HEAD, a branch such as origin/main, a commit)")
    found = {}
    for entry in done.stdout.split("\0"):
        meta, _, path = entry.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob" and path.lower().endswith(".sql"):
            found[path.rsplit("/", 1)[-1]] = parts[2]
    return found


def _blob_id(raw: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(raw) + raw, usedforsecurity=False).hexdigest()


def _blob(top: Path, blob: str) -> bytes:
    return _git(top, "cat-file", "blob", blob, binary=True).stdout


def guard_folder(service: str, folder: Path, top: Path, revision: str) -> tuple[int, list[FrozenEdit]]:
    rel = folder.resolve().relative_to(top.resolve()).as_posix() if folder.resolve() != top.resolve() else "."
    committed = _committed(top, revision, rel)
    current = {p.name: p.read_bytes() for p in folder.iterdir()
               if p.is_file() and p.suffix.lower() == ".sql"} if folder.is_dir() else {}
    edits: list[FrozenEdit] = []
    by_sum = {checksum(raw): name for name, raw in current.items() if name not in committed}
    for name, blob in sorted(committed.items()):
        raw = current.get(name)
        if raw is not None and (_blob_id(raw) == blob or checksum(raw) == checksum(_blob(top, blob))):
            continue
        if raw is not None:
            edits.append(FrozenEdit(service, name, folder / name, EditKind.MODIFIED))
            continue
        moved = by_sum.get(checksum(_blob(top, blob)))
        edits.append(FrozenEdit(service, name, folder / (moved or name),
                                EditKind.RENAMED if moved else EditKind.DELETED, moved))
    return len(committed), edits


def guard(spec: TargetSpec, against: str = "HEAD") -> GuardReport:
    """Committed migrations of the chosen services (default: all; ad hoc the `--dir`
    folder) compared with `against`."""
    from dataclasses import replace

    if not (spec.adhoc or spec.services or spec.all):
        spec = replace(spec, all=True)
    resolution = resolve_targets(spec, Use.FOLDER)
    root = resolution.project.root if resolution.project else resolution.one.service.migrations
    if not root.is_dir():
        raise UsageError(f"migrations folder {root} does not exist", hint="check the path given to --dir")
    top = _top(root)
    edits: list[FrozenEdit] = []
    outside: list[str] = []
    checked = 0
    for service in resolution.services:
        if not service.migrations.resolve().is_relative_to(top.resolve()):
            outside.append(service.name)  # nothing of it is committed here
            continue
        count, found = guard_folder(service.name, service.migrations, top, against)
        checked += count
        edits.extend(found)
    return GuardReport(against, tuple(s.name for s in resolution.services), tuple(edits), checked,
                       tuple(outside))
