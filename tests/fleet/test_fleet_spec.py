"""Fleet specs: each form parsed, shards stable and exhaustive, secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbtool.config import load_project
from dbtool.core.fleet_spec import (
    FleetKind,
    expand,
    identity_of,
    parse_fleet_spec,
    parse_shard,
    shard_of,
)
from dbtool.errors import ConfigError, UsageError
from dbtool.urls import parse_url


@pytest.mark.parametrize(("text", "kind", "pattern"), [
    ("sqlite:///data/tenants/*.db", FleetKind.SQLITE_GLOB, "data/tenants/*.db"),
    ("postgresql://u:pw@db:5433/tenant_*", FleetKind.PG_DATABASES, "tenant_*"),
    ("postgresql://db/app?schema=tenant_*", FleetKind.PG_SCHEMAS, "tenant_*"),
    ("d1://0123abcd/shop-*", FleetKind.D1_DATABASES, "shop-*"),
    ("@fleet.txt", FleetKind.URL_FILE, "fleet.txt"),
])
def test_each_form_is_recognised(text: str, kind: FleetKind, pattern: str) -> None:
    spec = parse_fleet_spec(text)
    assert (spec.kind, spec.pattern) == (kind, pattern)


def test_password_is_masked_in_the_display_and_absent_from_identities() -> None:
    spec = parse_fleet_spec("postgresql://admin:Sup3r-Secret@db:5433/tenant_*")
    assert "Sup3r-Secret" not in spec.display
    url = parse_url("postgresql://admin:Sup3r-Secret@db:5433/tenant_7?schema=t1")
    assert identity_of(url) == "db:5433/tenant_7/t1"


def test_shards_are_stable_exhaustive_and_disjoint() -> None:
    names = [f"host:5432/tenant_{i}" for i in range(500)]
    shards = [shard_of(n, 4) for n in names]
    assert shards == [shard_of(n, 4) for n in names]  # the same on every call and machine
    counts = [shards.count(i) for i in (1, 2, 3, 4)]
    assert sum(counts) == 500 and min(counts) > 90  # each target in exactly one, roughly even
    assert shard_of("host:5432/tenant_1", 4) == 1 + int.from_bytes(
        __import__("hashlib").sha256(b"host:5432/tenant_1").digest()[:8], "big") % 4


@pytest.mark.parametrize("text", ["0/3", "4/3", "a/b", "3", "-1/2"])
def test_bad_shard_is_refused(text: str) -> None:
    with pytest.raises(UsageError):
        parse_shard(text)


def test_url_file_skips_comments_and_names_a_bad_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.txt").write_text("# tenants\n\nsqlite:///a.db\nsqlite:///b.db  # second\n"
                                     "sqlite:///a.db\n")
    assert [m.identity for m in expand(parse_fleet_spec("@ok.txt"))] == ["a.db", "b.db"]
    (tmp_path / "bad.txt").write_text("sqlite:///a.db\nmysql://x/y\n")
    with pytest.raises(ConfigError) as caught:
        expand(parse_fleet_spec("@bad.txt"))
    assert "bad.txt:2:1" in caught.value.one_line()


def test_named_fleets_come_from_dbtool_toml(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "dbtool.toml").write_text(
        '[services.app]\ndialect = "sqlite"\n[services.app.fleets.tenants]\nspec = "sqlite:///t/*.db"\n'
        '[services.app.fleets.prod]\nspec_env = "PROD_FLEET"\n')
    service = load_project(tmp_path / "dbtool.toml").service("app")
    assert [(f.name, f.spec, f.spec_env) for f in service.fleets] == [
        ("tenants", "sqlite:///t/*.db", None), ("prod", None, "PROD_FLEET")]
    monkeypatch.setenv("PROD_FLEET", "postgresql://db/tenant_*")
    assert service.fleets[1].text() == "postgresql://db/tenant_*"
    named = {f.name: f.text() or "" for f in service.fleets}
    assert parse_fleet_spec("prod", named).kind is FleetKind.PG_DATABASES
    with pytest.raises(UsageError, match="neither a spec nor a fleet"):
        parse_fleet_spec("staging", named)
    (tmp_path / "dbtool.toml").write_text(
        '[services.app]\ndialect = "sqlite"\n[services.app.fleets.x]\nspec = "a"\nspec_env = "B"\n')
    with pytest.raises(ConfigError, match="spec or spec_env"):
        load_project(tmp_path / "dbtool.toml")
