"""Does a Postgres constraint or index name look engine-generated?

When DDL gives no name, Postgres invents one (`users_email_key`,
`orders_user_id_fkey`, `t_check1` …) from the table, the columns and a label,
truncated to 63 bytes, with a number appended on collision. Such a name is
an accident of history (a table rename, the order constraints were added), so
the differ must not report a difference that is only in generated names. This
module re-implements Postgres's `makeObjectName`/`ChooseConstraintName` rules
(src/backend/commands/indexcmds.c) to recognise them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

NAMEDATALEN = 64


def _clip(text: str, nbytes: int) -> str:
    """At most `nbytes` UTF-8 bytes of `text`, never splitting a character."""
    return text.encode()[:max(nbytes, 0)].decode(errors="ignore")


def make_object_name(name1: str, name2: str | None, label: str | None) -> str:
    """Postgres's makeObjectName: `name1_name2_label`, the longer part truncated first."""
    joined = "_".join([p for p in (name1, name2, label) if p])
    if name1 and len(joined.encode()) < NAMEDATALEN:  # the common case: nothing to truncate
        return joined
    len1 = len(name1.encode())
    len2 = len(name2.encode()) if name2 else 0
    overhead = (1 if name2 else 0) + (len(label.encode()) + 1 if label else 0)
    avail = NAMEDATALEN - 1 - overhead
    if len1 + len2 <= avail:  # nothing to truncate after all (an empty name1)
        return joined
    while len1 + len2 > avail:
        if len1 > len2:
            len1 -= 1
        else:
            len2 -= 1
    parts = [_clip(name1, len1)]
    if name2:
        parts.append(_clip(name2, len2))
    if label:
        parts.append(label)
    return "_".join(parts)


def column_addition(columns: Sequence[str]) -> str:
    """ChooseForeignKeyConstraintNameAddition / ChooseIndexNameAddition: names joined by `_`."""
    joined = "_".join(columns)
    if len(joined.encode()) < NAMEDATALEN:  # the common case: no prefix reaches the limit
        return joined
    buf = ""
    for name in columns:
        if buf:
            buf += "_"
        buf += name
        if len(buf.encode()) >= NAMEDATALEN:
            break
    return _clip(buf, NAMEDATALEN - 1)


_LABELS = {"u": "key", "f": "fkey", "x": "excl", "i": "idx"}
_RETRY = re.compile(r"_([a-z]+?)([1-9][0-9]*)?$")


def _is_choice(name: str, table: str, name2: str | None, label: str) -> bool:
    """`name` is the first choice, or a collision retry (`label1`, `label2` …)."""
    if name == make_object_name(table, name2, label):  # the common case, no regex needed
        return True
    m = _RETRY.search(name)
    if m is None or m.group(1) != label or m.group(2) is None:
        return False
    return name == make_object_name(table, name2, label + m.group(2))


def looks_generated(name: str, table: str, kind: str, columns: Sequence[str]) -> bool:
    """True when `name` is what Postgres would choose for an unnamed constraint/index.

    `kind` is the constraint type letter (p, u, c, f, x) or `i` for a plain index;
    `columns` are the key columns (for an index, expression terms may be given as
    their function name or `expr`, as Postgres names them)."""
    if kind == "p":
        return _is_choice(name, table, None, "pkey")
    if kind == "c":
        single = columns[0] if len(columns) == 1 else None
        return _is_choice(name, table, single, "check")
    label = _LABELS.get(kind)
    if label is None:
        return False
    return _is_choice(name, table, column_addition(columns) or None, label)
