"""Secret masking. Every message that leaves dbtool passes through `mask`.

Secrets are remembered when dbtool sees them (a URL's password, an API token)
and also recognised by shape (`scheme://user:password@host`), so a secret that
reaches an engine's error message is masked too.
"""

from __future__ import annotations

import re

MASK = "***"
_known: set[str] = set()
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/?#@\s]*:)(?P<pw>[^@\s/]+)(?=@)")
_BEARER = re.compile(r"(?i)(bearer\s+)([A-Za-z0-9._\-]{8,})")
_PASSWORD_KV = re.compile(r"(?i)\b(password\s*=\s*)('[^']*'|\S+)")


def remember(secret: str | None) -> None:
    """Register a secret value so that `mask` hides it wherever it appears."""
    if secret and len(secret) >= 3:
        _known.add(secret)


def mask(text: str) -> str:
    """Return `text` with every known or recognisable secret replaced by ***."""
    if not text:
        return text
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
    text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
    text = _PASSWORD_KV.sub(lambda m: m.group(1) + MASK, text)
    return text
