"""Snapshot YAML: the fast loader reads what `yaml.safe_load` reads, errors keep
their file:line:col, and rendering stays byte-identical (issue #9)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from dbtool import snapshot
from dbtool.errors import ConfigError
from dbtool.model import gc_paused

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = sorted((ROOT / "schemas").glob("*.yaml"))


@pytest.fixture(params=["libyaml", "pure"])
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[type]:
    """The snapshot loader on libyaml's parser, and on the pure-Python fallback."""
    if request.param == "libyaml":
        if not getattr(yaml, "__with_libyaml__", False):
            pytest.skip("PyYAML without libyaml")
    else:
        monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    snapshot._loader.cache_clear()
    try:
        yield snapshot._loader()
    finally:
        monkeypatch.undo()
        snapshot._loader.cache_clear()


def test_the_fast_loader_is_libyaml_when_available() -> None:
    snapshot._loader.cache_clear()
    if getattr(yaml, "__with_libyaml__", False):
        assert issubclass(snapshot._loader(), yaml.CSafeLoader)
    else:
        assert issubclass(snapshot._loader(), yaml.SafeLoader)


DOCUMENTS = [
    "", "# only a comment\n", "plain scalar\n", "- 1\n- [2, {3: 4}]\n",
    "a: &x {b: 1}\nc: *x\n",
    "base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n",
    "=: 1\n", "a: !!set {x, y}\n", "a: !!omap [x: 1, y: 2]\n", "a: !!pairs [x: 1]\n",
    "1: a\ntrue: b\nnull: c\n", "? [a, b]\n: 1\n",
    "a: 2001-12-14t21:59:43.10-05:00\nb: 2002-12-14\nc: !!binary aGVsbG8=\n",
    "a: 0x1f\nb: 1_000\nc: .inf\nd: ~\ne: yes\nf: 'yes'\ng: -1.5\n",
    "a: b\na: c\n", "a: !!str 12\nb: ! 12\n? !!str k\n: v\n",
    "k: |\n  line1\n   line2\n\nz: >\n  folded\n  text\n", "'quoted key': 1\n\"dq\": 2\n",
    "a:\n  - &s str\n  - *s\n", "a: !!map x\n", "a: !foo x\n", "a: [1, 2\n",
    "tables:\n  t:\n    columns:\n      id: {type: integer, nullable: false}\n    purpose: why\n",
]


def _load(text: str, loader: type) -> tuple[str, object]:
    try:
        return "ok", yaml.load(text, Loader=loader)  # safe loaders only
    except yaml.YAMLError as exc:
        return "error", (type(exc).__name__, getattr(exc, "problem", None), getattr(exc, "context", None))


@pytest.mark.parametrize("text", DOCUMENTS + [p.read_text(encoding="utf-8") for p in COMMITTED],
                         ids=[f"doc{i}" for i in range(len(DOCUMENTS))] + [p.name for p in COMMITTED])
def test_loads_what_safe_load_loads(text: str, loader: type) -> None:
    base = loader.__mro__[1]  # SafeLoader or CSafeLoader: the same parser, its messages
    assert _load(text, loader) == _load(text, base)
    kind, data = _load(text, loader)
    if kind == "ok":
        assert repr(data) == repr(yaml.safe_load(text))


def test_aliases_stay_shared_and_recursive(loader: type) -> None:
    shared = yaml.load("a: &x {b: 1}\nc: *x\n", Loader=loader)
    assert shared["a"] is shared["c"]
    recursive = yaml.load("a: &r [1, *r]\n", Loader=loader)
    assert recursive["a"][1] is recursive["a"]


BROKEN = [  # (text, line, column) as both parsers report them
    ("service: a\ntables:\n  t:\n    columns:\n      id: {type: integer}\n     bad: 1\n", 6, 6),
    ("service: a\ntables:\n  t:\n    comment: 'oops\n", 5, 1),
    ("service: a\ntables:\n\tt: 1\n", 3, 1),
    ("service: a\ntables: {t: [1, 2}\n", 2, 18),
    ("service: a\ntables:\n  t: a: b\n", 3, 7),
    ("service: a\ntables: *nowhere\n", 2, 9),
    ("service: a\ntables: !nosuchtag x\n", 2, 9),
]


@pytest.mark.parametrize(("text", "line", "col"), BROKEN)
def test_broken_yaml_names_file_line_and_column(tmp_path: Path, loader: type, text: str, line: int,
                                                col: int) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        snapshot.load(path)
    error = caught.value
    assert error.location is not None
    assert (error.location.path, error.location.line, error.location.col) == (path, line, col)
    assert str(error.location) == f"{path}:{line}:{col}"
    assert error.message.startswith("snapshot is not valid YAML: ")


def test_reader_errors_name_the_file(tmp_path: Path, loader: type) -> None:
    path = tmp_path / "app.yaml"
    path.write_text("service: a\x07\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        snapshot.load(path)
    assert caught.value.location is not None and caught.value.location.path == path


@pytest.mark.parametrize("path", COMMITTED, ids=[p.name for p in COMMITTED])
def test_committed_snapshots_load_and_render_byte_identical(path: Path, loader: type) -> None:
    text = path.read_text(encoding="utf-8")
    loaded = snapshot.load(path)
    rendered, orphans = snapshot.render(loaded)
    assert rendered == text
    assert orphans == []
    body = {k: v for k, v in yaml.safe_load(text).items() if k not in ("service", "dialect")}
    assert loaded.annotations == snapshot.extract_annotations(body)


def test_gc_paused_restores_the_collector() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_typed_scalar_that_is_not_its_type_is_a_config_error(tmp_path):
    from dbtool.errors import ConfigError
    from dbtool.snapshot import load

    path = tmp_path / "bad.yaml"
    path.write_text("service: x\ndialect: sqlite\ntables: !!int abc\n")
    with pytest.raises(ConfigError, match="cannot read"):
        load(path)
