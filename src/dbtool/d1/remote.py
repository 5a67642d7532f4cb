"""A small client for D1's REST API (`POST …/d1/database/{id}/query`), urllib only.

Why it looks like this:

* The token comes from `CLOUDFLARE_API_TOKEN` (wrangler's variable) and is
  registered with `dbtool.secrets` before the first request, so no message,
  JSON document or `--debug` traceback can show it.
* Transient failures (HTTP 429, 5xx, a dropped or timed-out connection) are
  retried with exponential backoff and jitter, a bounded number of times
  (`DBTOOL_D1_RETRIES`, default 5 attempts; `DBTOOL_D1_BACKOFF`, default 0.5 s;
  each request times out after `DBTOOL_D1_TIMEOUT`, default 60 s).
  A 5xx or a dropped connection is *ambiguous*: the request may have committed.
  Writers therefore pass `committed`, a check run before every retry; when it
  says the work is already there, the request is not sent again.
* 401/403/404 end the run with one line that says which of token, permission
  or ids is wrong. An SQL error from D1 is a `D1SqlError` carrying D1's message.
* The API base is `https://api.cloudflare.com/client/v4`, or `DBTOOL_D1_API_BASE`
  (tests and proxies).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from dbtool import __version__, secrets
from dbtool.errors import ConfigError, ConnectionFailed, DbtoolError, ExitCode

DEFAULT_BASE = "https://api.cloudflare.com/client/v4"
TOKEN_ENV = "CLOUDFLARE_API_TOKEN"
BASE_ENV = "DBTOOL_D1_API_BASE"
_TOKEN_HINT = "create an API token with the 'D1 Edit' permission and export CLOUDFLARE_API_TOKEN"


class D1SqlError(DbtoolError):
    """D1 refused a query (for example code 7500: an SQLite error). Nothing of it ran."""

    kind = "d1-sql"
    exit_code = ExitCode.PROBLEMS

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message, hint="D1 rolled the whole request back")
        self.code = code


class _Transient(Exception):
    """A failure worth retrying (429, 5xx, a dropped connection). Whether the request
    committed is unknown, which is why writers pass `committed` to `query`."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base: float = 0.5  # seconds before the first retry (before jitter)
    cap: float = 8.0

    @classmethod
    def from_env(cls) -> RetryPolicy:
        attempts = int(_env_number("DBTOOL_D1_RETRIES", cls.attempts))
        base = _env_number("DBTOOL_D1_BACKOFF", cls.base)
        return cls(attempts=max(1, attempts), base=max(0.0, base))

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Equal-jitter exponential backoff; a server's Retry-After wins (capped)."""
        if retry_after is not None:
            return min(self.cap, max(0.0, retry_after))
        ceiling = min(self.cap, self.base * 2 ** (retry - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def _env_number(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    try:
        return float(value) if value else default
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {value!r}",
                          hint=f"unset it to use the default ({default:g})") from None


def api_base() -> str:
    base = os.environ.get(BASE_ENV, "").strip() or DEFAULT_BASE
    if not base.startswith(("http://", "https://")):
        raise ConfigError(f"{BASE_ENV} must be an http(s) URL, got {base!r}",
                          hint=f"unset it to use {DEFAULT_BASE}")
    return base.rstrip("/")


def api_token() -> str:
    raw = os.environ.get(TOKEN_ENV, "")
    secrets.remember(raw.strip())
    token = raw.strip()
    if not token:
        raise ConfigError(f"{TOKEN_ENV} is not set; the D1 REST API needs an API token",
                          hint=_TOKEN_HINT)
    if not token.isascii() or not token.isprintable() or any(c.isspace() for c in token):
        # it would go into an HTTP header, whose error messages quote it escaped (unmasked)
        raise ConfigError(f"{TOKEN_ENV} holds characters an API token never has (blanks, control "
                          "or non-ASCII characters); its value is not shown",
                          hint="copy the token again from the Cloudflare dashboard")
    return token


class D1Client:
    """One D1 database over the REST API. `rows` makes it an inspector QueryRunner."""

    def __init__(self, account_id: str, database_id: str, *, token: str | None = None,
                 base: str | None = None, policy: RetryPolicy | None = None,
                 timeout: float | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.account_id = account_id
        self.database_id = database_id
        self._token = token or api_token()
        secrets.remember(self._token)
        self.endpoint = (f"{base or api_base()}/accounts/{quote(account_id, safe='')}"
                         f"/d1/database/{quote(database_id, safe='')}/query")
        self.policy = policy or RetryPolicy.from_env()
        self.timeout = timeout or _env_number("DBTOOL_D1_TIMEOUT", 60.0)
        self._sleep = sleep
        self.requests = 0  # HTTP attempts made, for tests and --debug

    # -- public API -----------------------------------------------------------------
    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a read-only statement (safe to retry: it changes nothing)."""
        results = self.query(sql, params)
        return list(results[-1].get("results") or []) if results else []

    def query(self, sql: str, params: Sequence[Any] = (), *,
              committed: Callable[[], bool] | None = None) -> list[dict[str, Any]] | None:
        """Run `sql` (one or more statements: one D1 batch, one transaction).

        Returns D1's `result` list, or None when a retry was skipped because
        `committed()` reported that an earlier, ambiguous attempt had committed.
        """
        body: dict[str, Any] = {"sql": sql}
        if params:
            body["params"] = list(params)
        data = json.dumps(body).encode()
        last: _Transient | None = None
        for attempt in range(1, self.policy.attempts + 1):
            if last is not None:
                self._sleep(self.policy.delay(attempt - 1, last.retry_after))
                if committed is not None and committed():
                    return None
            try:
                return self._send(data)
            except _Transient as exc:
                last = exc
        assert last is not None
        raise ConnectionFailed(
            f"D1 API at {self._where()} kept failing ({last.reason}) after {self.policy.attempts} attempts",
            hint="check Cloudflare's status page and retry; files already applied stay applied",
        )

    def get(self, url: str) -> dict[str, Any]:
        """A read-only GET (the database listing), retried like a read: the whole payload."""
        last: _Transient | None = None
        for attempt in range(1, self.policy.attempts + 1):
            if last is not None:
                self._sleep(self.policy.delay(attempt - 1, last.retry_after))
            try:
                return self._send(None, url=url)
            except _Transient as exc:
                last = exc
        assert last is not None
        raise ConnectionFailed(
            f"D1 API at {self._base_display()} kept failing ({last.reason}) after "
            f"{self.policy.attempts} attempts listing databases",
            hint="check Cloudflare's status page and retry")

    # -- one HTTP round trip ----------------------------------------------------------
    def _send(self, data: bytes | None, *, url: str | None = None) -> Any:
        """POST a query (its `result` list) or, with `url`, GET a listing (the payload)."""
        request = urllib.request.Request(url or self.endpoint, data=data,
                                         method="GET" if url else "POST", headers={
            "Authorization": f"Bearer {self._token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": f"dbtool/{__version__}",
        })
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = _json(response.read())
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc.code, _json(exc.read()), exc.headers) from None
        except (http.client.HTTPException, ConnectionError, TimeoutError) as exc:
            raise _Transient(f"connection dropped: {type(exc).__name__}") from None
        except urllib.error.URLError as exc:
            raise self._url_error(exc) from None
        if not payload:  # a 200 we cannot read (a proxy page?): it may have committed
            raise _Transient("unreadable response body")
        if not payload.get("success", False):
            raise self._http_error(200, payload, None)
        return payload if url else list(payload.get("result") or [])

    def _url_error(self, exc: urllib.error.URLError) -> Exception:
        reason = exc.reason
        if isinstance(reason, socket.gaierror):
            return ConnectionFailed(f"cannot resolve the D1 API host in {self._base_display()}",
                                    hint=f"check the network, or {BASE_ENV}")
        return _Transient(f"connection failed: {secrets.mask(str(reason))}")

    def _http_error(self, status: int, payload: dict[str, Any], headers: Any) -> Exception:
        code, message = _first_error(payload)
        detail = f": {secrets.mask(message)}" if message else ""
        if status == 429 or status >= 500:
            return _Transient(f"HTTP {status}{detail}", retry_after=_retry_after(headers))
        if status == 401 or code in (6003, 6111, 9106, 9109):
            return ConnectionFailed(f"D1 API rejected the token in {TOKEN_ENV} (HTTP {status}{detail})",
                                    hint=f"the token is wrong, expired or revoked; {_TOKEN_HINT}")
        if status == 403:
            return ConnectionFailed(
                f"the API token may not use D1 on account {self.account_id} (HTTP 403{detail})",
                hint="give the token the 'Account · D1 · Edit' permission for this account")
        if status == 404:
            return ConnectionFailed(
                f"D1 database {self.database_id} not found in account {self.account_id} "
                f"(HTTP 404{detail})",
                hint="check both ids in the d1:// URL: `wrangler d1 list` shows the database "
                     "ids, the dashboard URL shows the account id")
        return D1SqlError(secrets.mask(message or f"D1 API answered HTTP {status}"), code=code)

    def _where(self) -> str:
        return f"{self._base_display()} (database {self.database_id})"

    def _base_display(self) -> str:
        return secrets.mask(self.endpoint.split("/accounts/", 1)[0])


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8", "replace")) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _first_error(payload: dict[str, Any]) -> tuple[int | None, str]:
    errors = payload.get("errors") or []
    if errors and isinstance(errors[0], dict):
        code = errors[0].get("code")
        return (code if isinstance(code, int) else None), str(errors[0].get("message") or "")
    return None, ""


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def list_databases(account_id: str, *, name: str = "", token: str | None = None,
                   base: str | None = None, policy: RetryPolicy | None = None,
                   per_page: int | None = None) -> list[tuple[str, str]]:
    """`(uuid, name)` of every D1 database of the account whose name contains `name`,
    page by page (`GET /accounts/ID/d1/database?page=&per_page=&name=`). A fleet spec
    (`d1://ACCOUNT/prefix*`) filters these names further; 429 and 5xx are retried with
    the same backoff as queries."""
    from urllib.parse import urlencode

    per_page = per_page or int(_env_number("DBTOOL_D1_LIST_PAGE", 100))
    client = D1Client(account_id, "-", token=token, base=base, policy=policy)
    listing = client.endpoint.rsplit("/", 2)[0]  # …/accounts/ID/d1/database
    found: list[tuple[str, str]] = []
    page = 1
    while True:
        query = urlencode({"page": page, "per_page": per_page, **({"name": name} if name else {})})
        payload = client.get(f"{listing}?{query}")
        batch = payload.get("result") or []
        found += [(str(d.get("uuid")), str(d.get("name"))) for d in batch if isinstance(d, dict)]
        info = payload.get("result_info") or {}
        total = info.get("total_count")
        if not batch or len(batch) < per_page or (isinstance(total, int) and len(found) >= total):
            return found
        page += 1
