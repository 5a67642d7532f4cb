import pytest

from dbtool.errors import UrlError
from dbtool.secrets import mask
from dbtool.urls import parse_url


def test_postgres_url_password_is_masked_everywhere():
    url = parse_url("postgresql://alice:Tr0ub4dor-x@db.example:6543/app")
    assert url.dialect == "postgres" and url.port == 6543 and url.database == "app"
    assert "Tr0ub4dor-x" not in url.display and "Tr0ub4dor-x" not in repr(url)
    assert mask("engine said: password Tr0ub4dor-x rejected") == "engine said: password *** rejected"


def test_shape_based_masking_of_unseen_urls_and_tokens():
    assert mask("postgres://bob:hunter22@h/db") == "postgres://bob:***@h/db"
    assert mask("Authorization: Bearer abcdefghijkl123") == "Authorization: Bearer ***"


def test_sqlite_urls():
    assert str(parse_url("sqlite:///rel/app.db").sqlite_path) == "rel/app.db"
    assert str(parse_url("sqlite:////abs/app.db").sqlite_path) == "/abs/app.db"


@pytest.mark.parametrize("raw, fragment", [
    ("mysql://x/y", "unknown URL scheme 'mysql'"),
    ("just-a-path.db", "not a database URL"),
    ("sqlite://", "has no file path"),
    ("sqlite:///:memory:", "names no file"),
    ("postgresql://u@h:notaport/db", "malformed URL"),
    ("postgresql:///db", "names no host"),
])
def test_bad_urls(raw, fragment):
    with pytest.raises(UrlError, match=fragment):
        parse_url(raw)


def test_a_password_holding_both_a_question_mark_and_an_at_sign_is_masked_whole():
    """`u:a@b?c@host`: a `?` with no option before the last `@` belongs to the password
    (found by tests/reliability/test_secrets_generated.py, seed 2216763383)."""
    from dbtool import secrets

    secret = "RojhS@iHD2iih%2F7PQRrx9?bkTphX"
    url = f"d1-local://app:{secret}@[::1]:1/appdb?sslmode=bogus"
    secrets.remember_url(url)
    shown = secrets.mask(f"wrangler project app:{secret.split('?')[0]} does not exist; {url}")
    for piece in ("RojhS", "iHD2iih", "7PQRrx9", "bkTphX"):
        assert piece not in shown, shown
    assert "[::1]:1/appdb" in shown and "sslmode=bogus" in shown
