"""Secret masking. Every message that leaves dbtool passes through `mask`.

Two nets, because a URL can be malformed in ways no parser agrees on:

* Secrets are *remembered* the moment dbtool sees them — every `--url` value and
  every environment value that holds a URL when the process starts, every URL
  `parse_url` reads (before it validates anything), the API token — together
  with the forms a message could show them in (percent-decoded, percent-encoded,
  repr- and JSON-escaped) and, for a password with delimiters in it (`/ @ : # ?
  & [` blanks, quotes …), each piece between them: a parser that cut the URL there
  shows a piece as a host, a port, a path or an option (`u:p@SECRET@host` makes
  the host `SECRET@host`).
* Secrets are *recognised by shape* in text dbtool never saw whole (a database's
  error message, a URL inside a longer message): the userinfo of any
  `scheme://user:…@` (up to the last `@` before a blank), credential-bearing
  options (`password=`, `sslpassword=`, `token=` …, in URL queries and libpq's
  `key=value` strings, quoted or not) and `Bearer`/`Basic` authorisations.
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import quote, unquote

MASK = "***"
_known: set[str] = set()
_MIN_SECRET = 3  # shorter values would mask ordinary words
_MIN_PIECE = 4  # a piece of a password cut at a delimiter

# Option names that carry a credential (libpq's password/sslpassword, tokens, keys …).
_CREDENTIAL_KEY = (r"[\w.-]*(?:pass(?:word|wd)?|pwd|secret|token|credential|api[_-]?key|"
                   r"access[_-]?key|private[_-]?key|sslkey|signature|auth)[\w.-]*")
_QUOTED = r"'(?:[^'\\]|\\.)*(?:'|$)|\"(?:[^\"\\]|\\.)*(?:\"|$)"
# `?sslpassword=…&`, `token=…` (a URL query, libpq's key=value): the value up to `&` or a blank
_OPTION = re.compile(rf"(?i)(?<![\w.-])(?P<key>{_CREDENTIAL_KEY})(?P<eq>=)(?P<value>{_QUOTED}|[^\s&]+)")
# libpq's `password = 'x y'` (blanks around `=` allowed there, as in SQL: only the password keys)
_PASSWORD_KV = re.compile(rf"(?i)\b(?P<key>(?:ssl)?password)(?P<eq>\s*=\s*)(?P<value>{_QUOTED}|[^\s&]+)")
# `scheme://` + a userinfo up to the LAST `@` of the blank-free run: `u:pa/ss@h`, `u:p@ss@h`.
_URL_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://(?!/)[^\s:@/]*:)(?P<pw>\S*)(?=@)")
_BEARER = re.compile(r"(?i)\b(bearer)(\s+)([A-Za-z0-9._~+/=\-]{8,})")
_AUTHORIZATION = re.compile(r"(?i)\b(authorization:\s*\w+)(\s+)(\S+)")
# A scheme written without `://` (`postgresql:/`, `postgres//`, `sqlite:`): what follows is
# read as USER[:PASSWORD]@HOST, as the user meant it.
_SCHEME_TYPO = re.compile(r"[A-Za-z][\w+.-]*(?::/{0,2}|/{1,2})")
# Where some parser may cut a password: anything but letters, digits and `_ . ~ -`.
_DELIMITERS = re.compile(r"[^\w.~-]+")
# Options a URL query can hold (libpq's connection parameters, d1-local's): after a
# password value, any other `&part` is more of the password (a raw `&` in it).
CONNECTION_OPTIONS = frozenset({
    "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "require_auth",
    "channel_binding", "connect_timeout", "client_encoding", "options", "application_name",
    "fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval",
    "keepalives_count", "tcp_user_timeout", "replication", "gssencmode", "sslmode", "requiressl",
    "sslnegotiation", "sslcompression", "sslcert", "sslkey", "sslkeylogfile", "sslpassword",
    "sslcertmode", "sslrootcert", "sslcrl", "sslcrldir", "sslsni", "requirepeer",
    "ssl_min_protocol_version", "ssl_max_protocol_version", "krbsrvname", "gsslib",
    "gssdelegation", "service", "target_session_attrs", "load_balance_hosts", "binding",
    "persist_to"})
# Variables whose value is a credential by name (PGPASSWORD, CLOUDFLARE_API_TOKEN, …).
# (`_` or `PG` before the word: PWD and OLDPWD are the shell's working directories.)
_SECRET_VARIABLE = re.compile(r"(?i)(?:_|^pg)(?:token|secret|password|passwd|pwd|api_?key|access_?key)$")


def remember(secret: str | None) -> None:
    """Register a secret value (and the forms a message may show it in) for `mask`."""
    if not secret or len(secret) < _MIN_SECRET:
        return
    for form in _forms(secret):
        if len(form) >= _MIN_SECRET:
            _known.add(form)
    for text in {secret, unquote(secret)}:  # pieces of the percent-decoded text too
        if _DELIMITERS.search(text):
            for piece in _DELIMITERS.split(text):
                if len(piece) >= _MIN_PIECE:
                    _known.update(f for f in _forms(piece) if len(f) >= _MIN_PIECE)


def _forms(secret: str) -> set[str]:
    """The secret as text, percent-decoded and -encoded, and escaped by repr() and JSON."""
    decoded = unquote(secret)
    forms = {secret, decoded, quote(secret, safe=""), quote(decoded, safe=""), quote(decoded)}
    for value in (secret, decoded):
        forms.add(repr(value)[1:-1])
        forms.add(json.dumps(value)[1:-1])
        forms.add(json.dumps(value, ensure_ascii=False)[1:-1])
    return forms


def remember_url(text: str | None) -> None:
    """Register every credential-bearing part of `text`, a URL whether it parses or not:
    the password (everything between the userinfo's first `:` and the last `@`) and the
    values of credential options in its query (a raw `&` inside such a value included)."""
    if not text or ("@" not in text and "=" not in text):
        return
    scheme_end = text.find("://")
    rest = text[scheme_end + 3:] if scheme_end >= 0 else text
    # the userinfo ends at the last `@` before the query (an `@` in an option value is not
    # one); a password with a raw `?` has no `@` before it: then at the last `@` of all
    head = rest.split("?", 1)[0]
    at = head.rfind("@") if "@" in head else rest.rfind("@")
    query, last = rest.find("?"), rest.rfind("@")
    if 0 <= query < last and "=" not in rest[query:last]:  # `u:p@a?b@host`: no option before
        at, head = last, rest[:last]  # that `@`, so the `?` and the `@`s are the password's
    if at > 0 and scheme_end >= 0 and not rest.startswith("/"):  # sqlite:///a:b@c.db: a path
        _user, colon, password = rest[:at].partition(":")
        remember(password if colon else None)
    elif at > 0 and (scheme := _SCHEME_TYPO.search(rest[:at])):  # `postgresql:/u:pw@h`, `pg//u:pw@h`
        _user, colon, password = rest[scheme.end():at].partition(":")
        remember(password if colon else None)
    after = rest[at + 1:] if "@" in head else rest  # the options come after the userinfo
    _remember_options(after.split("?", 1)[1] if "?" in after else after,
                      url=scheme_end >= 0 or "?" in after)


def _remember_options(rest: str, *, url: bool) -> None:
    """Credential option values. In a URL a value runs to the next `&` (a raw blank or `#`
    in it is more of it), and a part without `=` right after it is more of it too (a raw
    `&` in a password): remembered with it, and on its own. In libpq's key=value text a
    blank ends an unquoted value."""
    for option in _OPTION.finditer(rest):
        quoted = option.group("value")
        if quoted[:1] in "'\"":  # libpq's quoting: 'it\'s'
            remember(re.sub(r"\\(.)", r"\1", quoted[1:-1] if quoted.endswith(quoted[0]) else quoted[1:]))
            continue
        value = [rest[option.start("value"):].split("&", 1)[0] if url else quoted]
        remember(value[0].strip("'\""))
        for part in rest[option.end():].split("&")[1:] if url else ():
            if not part or part.split("=", 1)[0].lower() in CONNECTION_OPTIONS:
                break
            value.append(part)
            remember(part)
            remember("&".join(value))


def remember_environment(environ: dict[str, str] | None = None) -> None:
    """Every URL held by an environment variable, and the API token, before anything runs:
    a message about a URL that was never parsed (a bad `url_env` value) is masked too."""
    environ = os.environ if environ is None else environ
    for name, value in environ.items():
        if "://" in value:
            remember_url(value.strip())
        elif _SECRET_VARIABLE.search(name):
            remember(value.strip())


def mask(text: str) -> str:
    """Return `text` with every known or recognisable secret replaced by ***."""
    if not text:
        return text
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    text = _URL_USERINFO.sub(lambda m: m.group("head") + MASK, text)
    for option in (_OPTION, _PASSWORD_KV):
        text = option.sub(lambda m: m.group("key") + m.group("eq") + MASK, text)
    for scheme in (_BEARER, _AUTHORIZATION):
        text = scheme.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    return text


def mask_data(value: object) -> object:
    """`mask` applied to every string inside JSON-like data (keys included), before it is
    serialised: a secret with a quote, a backslash or a non-ASCII letter would be escaped
    by json.dumps and slip past a mask of the finished text. A report repeats its strings
    (types, column and key names) thousands of times: each distinct one is masked once."""
    masked: dict[str, str] = {}

    def walk(item: object) -> object:
        if isinstance(item, str):
            done = masked.get(item)
            if done is None:
                done = masked[item] = mask(item)
            return done
        if isinstance(item, dict):
            return {walk(k): walk(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [walk(v) for v in item]
        return item

    return walk(value)
