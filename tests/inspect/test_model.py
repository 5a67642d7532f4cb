"""The schema model: order-independent equality and a lossless plain-data form."""

from __future__ import annotations

from typing import Any

import yaml

from dbtool.model import (
    CheckConstraint,
    Column,
    Enum,
    Extension,
    ForeignKey,
    Function,
    Index,
    IndexColumn,
    Policy,
    PrimaryKey,
    Publication,
    Schema,
    Sequence,
    Table,
    Trigger,
    UniqueConstraint,
    View,
    to_plain,
)


def _users(**overrides: Any) -> Table:
    fields: dict[str, Any] = dict(
        name="users",
        columns=(
            Column("id", "integer", False, identity="SERIAL"),
            Column("email", "character varying(100)", False, comment="login"),
            Column("status", "text", False, default="'active'::text"),
        ),
        primary_key=PrimaryKey(("id",), "users_pkey", name_generated=True),
        uniques=(UniqueConstraint(("email",), "users_email_key", True),),
        checks=(
            CheckConstraint("length(email) > 3", None),
            CheckConstraint("status = ANY (ARRAY['active'::text])", "status_enum"),
        ),
        indexes=(
            Index("users_status_idx", (IndexColumn("status"),), where="status <> 'x'::text"),
            Index("a_lower", (IndexColumn("lower(email)", expression=True, descending=True),),
                  unique=True, method="gin", include=("id",)),
        ),
        comment="People",
        rls_enabled=True,
        policies=(Policy("p2", "SELECT", roles=("b", "a"), using="true"), Policy("p1")),
    )
    fields.update(overrides)
    return Table(**fields)


def rich_schema() -> Schema:
    posts = Table(
        name="posts", schema="app",
        columns=(Column("id", "bigint", False, identity="ALWAYS"),
                 Column("user_id", "integer", True)),
        foreign_keys=(ForeignKey(("user_id",), "users", ("id",), on_delete="CASCADE",
                                 deferrable=True, initially_deferred=True),),
    )
    return Schema(
        tables=(_users(), posts),
        views=(View("active_users", "SELECT id FROM users", comment="v"),),
        triggers=(Trigger("t_touch", "users", "BEFORE", ("UPDATE",), columns=("email",),
                          condition="old.email <> new.email", function="touch()"),),
        functions=(Function("touch", "", "trigger", "plpgsql", "BEGIN\n  RETURN NEW;\nEND;",
                            config=("search_path=public",), security_definer=True),
                   Function("add", "a integer, b integer", "integer", "sql", "SELECT a + b",
                            schema="app", volatility="IMMUTABLE")),
        enums=(Enum("mood", ("sad", "ok", "happy")),),
        sequences=(Sequence("invoice_no", start=1000, increment=5, min_value=1,
                            max_value=9223372036854775807),),
        extensions=(Extension("pgcrypto", "extensions"), Extension("citext")),
        publications=(Publication("realtime", ("users", "app.posts")),),
    )


def test_collections_are_sorted_so_construction_order_does_not_matter() -> None:
    a = rich_schema()
    users = _users()
    shuffled = _users(
        checks=tuple(reversed(users.checks)),
        indexes=tuple(reversed(users.indexes)),
        policies=tuple(reversed(users.policies)),
    )
    b = Schema(tables=(shuffled, a.table("app.posts")), views=a.views, triggers=a.triggers,
               functions=tuple(reversed(a.functions)), enums=a.enums, sequences=a.sequences,
               extensions=tuple(reversed(a.extensions)), publications=a.publications)
    assert a == b
    assert a.to_dict() == b.to_dict()
    assert [t.key for t in a.tables] == ["app.posts", "users"]
    assert [i.name for i in a.table("users").indexes] == ["a_lower", "users_status_idx"]
    assert a.table("users").policies[1].roles == ("a", "b")


def test_columns_keep_their_ordinal_order() -> None:
    assert [c.name for c in _users().columns] == ["id", "email", "status"]


def test_round_trip_through_plain_data_and_yaml() -> None:
    schema = rich_schema()
    data = schema.to_dict()
    assert Schema.from_dict(data) == schema
    text = yaml.safe_dump(data, sort_keys=False)
    assert Schema.from_dict(yaml.safe_load(text)) == schema
    assert yaml.safe_dump(Schema.from_dict(yaml.safe_load(text)).to_dict(), sort_keys=False) == text


def test_to_dict_is_plain_and_compact() -> None:
    data = rich_schema().to_dict()
    _assert_plain(data)
    users = data["tables"]["users"]
    assert list(data) == ["tables", "views", "triggers", "functions", "enums", "sequences",
                          "extensions", "publications"]
    assert users["columns"]["id"] == {"type": "integer", "nullable": False, "identity": "SERIAL"}
    assert users["primary_key"] == {"columns": ["id"], "name": "users_pkey", "name_generated": True}
    assert users["indexes"]["users_status_idx"] == {"columns": ["status"], "where": "status <> 'x'::text"}
    assert users["indexes"]["a_lower"]["columns"] == [
        {"name": "lower(email)", "expression": True, "descending": True}]
    assert data["tables"]["app.posts"]["schema"] == "app"
    assert "app.add(a integer, b integer)" in data["functions"]
    assert data["extensions"] == {"citext": {}, "pgcrypto": {"schema": "extensions"}}
    assert Schema().to_dict() == {}


def test_keys_and_lookups() -> None:
    schema = rich_schema()
    assert schema.table("app.posts").foreign_keys[0].ref_key == "users"
    assert schema.triggers[0].key == ("users", "t_touch")
    assert {f.key for f in schema.functions} == {"touch()", "app.add(a integer, b integer)"}
    assert schema.table("missing") is None
    assert schema.table("users").column("email").comment == "login"


def test_index_column_render_and_to_plain() -> None:
    col = IndexColumn("lower(x)", expression=True, descending=True, nulls_first=False,
                      collation="C")
    assert col.render() == "(lower(x)) COLLATE C DESC NULLS LAST"
    assert to_plain(IndexColumn("a")) == "a"
    assert to_plain((IndexColumn("a"), col))[1]["nulls_first"] is False
    assert to_plain(None) is None


def _assert_plain(value: Any) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, str)
            _assert_plain(v)
    elif isinstance(value, list):
        for v in value:
            _assert_plain(v)
    else:
        assert value is None or isinstance(value, str | bool | int), repr(value)
