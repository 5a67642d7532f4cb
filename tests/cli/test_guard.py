"""`dbtool guard`: committed migrations keep their name and content (pre-commit and CI)."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest

from dbtool.core.guard import guard
from dbtool.core.targets import TargetSpec
from tests.helpers import run_dbtool

FILES = {f"{i:04d}_t{i}.sql": f"CREATE TABLE t{i} (id TEXT PRIMARY KEY);\n" for i in range(1, 6)}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def repo(root: Path) -> Path:
    (root / "m" / "down").mkdir(parents=True)
    (root / "dbtool.toml").write_text('[services.app]\ndialect = "sqlite"\nmigrations = "m"\n')
    for name, body in FILES.items():
        (root / "m" / name).write_text(body)
    (root / "m" / "down" / "0005_t5.sql").write_text("DROP TABLE t5;\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.email=t@t", "-c", "user.name=t", "add", "-A")
    git(root, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "init")
    return root


def edits(root: Path, against: str = "HEAD") -> dict[str, tuple[str, str | None]]:
    proc = run_dbtool("guard", "--against", against, "--format", "json", cwd=root)
    assert proc.returncode in (0, 1), proc.stderr
    document = json.loads(proc.stdout)
    assert (proc.returncode == 1) == bool(document["edits"])
    return {e["name"]: (e["kind"], e["renamed_to"]) for e in document["edits"]}


def test_line_endings_bom_new_files_and_rollback_files_are_not_edits(tmp_path: Path) -> None:
    root = repo(tmp_path)
    path = root / "m" / "0001_t1.sql"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    (root / "m" / "0006_new.sql").write_text("CREATE TABLE t6 (id TEXT);\n")
    (root / "m" / "down" / "0005_t5.sql").write_text("DROP TABLE IF EXISTS t5;\n")
    assert edits(root) == {}


def test_edited_renamed_and_deleted_files_are_refused_with_annotations(tmp_path: Path) -> None:
    root = repo(tmp_path)
    with (root / "m" / "0002_t2.sql").open("a") as handle:
        handle.write("CREATE INDEX i ON t2 (id);\n")
    (root / "m" / "0003_t3.sql").rename(root / "m" / "0007_t3.sql")
    (root / "m" / "0004_t4.sql").unlink()
    assert edits(root) == {"0002_t2.sql": ("modified", None), "0003_t3.sql": ("renamed", "0007_t3.sql"),
                           "0004_t4.sql": ("deleted", None)}
    proc = run_dbtool("guard", "--format", "github", cwd=root)
    assert proc.returncode == 1
    annotations = [line for line in proc.stdout.splitlines() if line.startswith("::")]
    assert annotations[0].startswith("::error file=m/0002_t2.sql,line=1,title=migration-modified::app: ")
    assert "file=m/0007_t3.sql" in annotations[1] and "give it back the name 0003_t3.sql" in annotations[1]


def test_against_the_target_branch_allows_edits_to_files_it_does_not_have(tmp_path: Path) -> None:
    root = repo(tmp_path)
    git(root, "checkout", "-qb", "feature")
    (root / "m" / "0006_wip.sql").write_text("CREATE TABLE wip (id TEXT);\n")
    git(root, "add", "-A")
    git(root, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "wip")
    (root / "m" / "0006_wip.sql").write_text("CREATE TABLE wip (id TEXT PRIMARY KEY);\n")
    assert edits(root) == {"0006_wip.sql": ("modified", None)}
    assert edits(root, "main") == {}


def test_before_the_first_commit_nothing_is_committed(tmp_path: Path) -> None:
    root = tmp_path / "new"
    (root / "m").mkdir(parents=True)
    (root / "dbtool.toml").write_text('[services.app]\ndialect = "sqlite"\nmigrations = "m"\n')
    (root / "m" / "0001_a.sql").write_text("CREATE TABLE a (id TEXT);\n")
    git(root, "init", "-q")
    assert edits(root) == {}


def test_bad_revision_and_no_git_are_usage_errors(tmp_path: Path) -> None:
    root = repo(tmp_path / "r")
    proc = run_dbtool("guard", "--against", "no-such-branch", cwd=root)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1 and "--against no-such-branch" in proc.stderr
    plain = tmp_path / "plain"
    (plain / "m").mkdir(parents=True)
    (plain / "dbtool.toml").write_text('[services.app]\ndialect = "sqlite"\nmigrations = "m"\n')
    proc = run_dbtool("guard", cwd=plain)
    assert proc.returncode == 2 and "not inside a git work tree" in proc.stderr


@pytest.mark.parametrize("seed", range(4))
def test_generated_schedules_match_the_rule(tmp_path: Path, seed: int) -> None:
    """Random edits to a committed folder; the expected verdicts follow the documented rule."""
    rng = random.Random(seed)
    for case in range(12):
        root = repo(tmp_path / f"c{case}")
        folder = root / "m"
        expected: dict[str, tuple[str, str | None]] = {}
        for name in list(FILES):
            action = rng.choice(["keep", "crlf", "bom", "edit", "rename", "delete", "touch"])
            path = folder / name
            if action == "crlf":
                path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
            elif action == "bom":
                path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
            elif action == "edit":
                path.write_text(path.read_text() + rng.choice(["-- note\n", " ", "SELECT 1;\n"]))
                expected[name] = ("modified", None)
            elif action == "rename":
                new = f"9{rng.randint(100, 999)}_{name}"
                path.rename(folder / new)
                expected[name] = ("renamed", new)
            elif action == "delete":
                path.unlink()
                expected[name] = ("deleted", None)
            elif action == "touch":
                path.write_bytes(path.read_bytes())
        report = guard(TargetSpec(config=root / "dbtool.toml"))
        got = {e.name: (e.kind, e.renamed_to) for e in report.edits}
        assert got == expected, f"seed {seed} case {case}"
        assert report.checked == len(FILES)
