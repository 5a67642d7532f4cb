"""The ERD as an inline SVG picture, laid out here (pure; no JS library, no network).

Layout is layered, chosen because it stays readable and linear-time at 1,000
tables: each table linked by a foreign key gets a layer (0 for tables that
reference no other table, else one more than the deepest table it references,
cycles cut); layers run left to right, so a referenced table sits left of the
tables that point at it, and a tall layer wraps into several columns. Tables
with no foreign key either way go on a grid below. Foreign keys are straight
lines between box borders (a loop for a self-reference), drawn under the boxes.

Every table is one `<g class="erd-node" data-table="…">`, every foreign key
one `<line|path class="erd-edge" data-from="…" data-to="…">`, so the page's
filter can dim them and tests can count them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from dbtool.model import Schema, Table
from dbtool.report.facts import Relationship, column_keys, relationships

CHAR_W, LINE_H, HEADER_H, PAD = 7.3, 16, 24, 8
MIN_W, MAX_W, MAX_COLUMNS, GAP_X, GAP_Y = 150, 420, 24, 60, 50
MAX_CHARS = int((MAX_W - 2 * PAD) / CHAR_W)


@dataclass(frozen=True)
class Box:
    table: str
    x: float
    y: float
    w: float
    h: float
    lines: tuple[str, ...]

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2


def _lines(t: Table) -> tuple[str, ...]:
    lines = []
    for c in t.columns[:MAX_COLUMNS]:
        keys = " ".join(column_keys(t, c))
        lines.append(_fit(f"{c.name}  {c.type}" + (f"  {keys}" if keys else "")))
    if len(t.columns) > MAX_COLUMNS:
        lines.append(f"… {len(t.columns) - MAX_COLUMNS} more columns")
    return tuple(lines)


def _fit(text: str) -> str:
    """Clip a line to the widest box (the full text is in the table section)."""
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"


def _size(t: Table, lines: tuple[str, ...]) -> tuple[float, float]:
    longest = max([min(len(t.key), MAX_CHARS) + 2, *(len(line) for line in lines)])
    width = min(MAX_W, max(MIN_W, longest * CHAR_W + 2 * PAD))
    return width, HEADER_H + LINE_H * max(1, len(lines)) + PAD


def layers(schema: Schema) -> dict[str, int]:
    """Longest path to a table that references nothing, following FKs (cycles cut)."""
    parents = {t.key: {fk.ref_key for fk in t.foreign_keys} - {t.key} for t in schema.tables}
    depth: dict[str, int] = {}
    for start in parents:
        if start in depth:
            continue
        stack, visiting = [(start, iter(sorted(parents[start])))], {start}
        while stack:
            node, children = stack[-1]
            nxt = next((p for p in children if p in parents and p not in depth
                        and p not in visiting), None)
            if nxt is not None:
                visiting.add(nxt)
                stack.append((nxt, iter(sorted(parents[nxt]))))
                continue
            known = [depth[p] for p in parents[node] if p in depth]
            depth[node] = 1 + max(known) if known else 0
            visiting.discard(node)
            stack.pop()
    return depth


Sized = tuple[Table, tuple[str, ...], float, float]


def _sized(t: Table) -> Sized:
    lines = _lines(t)
    return (t, lines, *_size(t, lines))


def _connected(schema: Schema) -> set[str]:
    """Tables with a foreign key to, or from, another table of the schema."""
    keys = {t.key for t in schema.tables}
    linked: set[str] = set()
    for t in schema.tables:
        for fk in t.foreign_keys:
            if fk.ref_key in keys and fk.ref_key != t.key:
                linked |= {t.key, fk.ref_key}
    return linked


def _layer_order(schema: Schema, linked: set[str]) -> list[list[Table]]:
    """Linked tables per layer; within a layer ordered by the mean position of
    the tables they reference (fewer crossing lines), then by name."""
    depth = layers(schema)
    parents = {t.key: [fk.ref_key for fk in t.foreign_keys] for t in schema.tables}
    grouped: dict[int, list[Table]] = {}
    for t in schema.tables:
        if t.key in linked:
            grouped.setdefault(depth.get(t.key, 0), []).append(t)
    position: dict[str, int] = {}
    ordered = []
    for level in sorted(grouped):
        def rank(t: Table) -> tuple[float, str]:
            seen = [position[p] for p in parents[t.key] if p in position]
            return (sum(seen) / len(seen) if seen else -1.0, t.key)
        tables = sorted(grouped[level], key=rank)
        position.update({t.key: i for i, t in enumerate(tables)})
        ordered.append(tables)
    return ordered


def _columns(ordered: list[list[Table]], per_column: int) -> list[list[Sized]]:
    """Each layer wrapped into columns of at most `per_column` boxes, left to right."""
    return [[_sized(t) for t in tables[i:i + per_column]]
            for tables in ordered for i in range(0, len(tables), per_column)]


def _place_layers(columns: list[list[Sized]], band_width: float) -> tuple[list[Box], float, float]:
    """Columns left to right, wrapping into a new band below once a band is
    `band_width` wide (a long chain of references stays on screen)."""
    boxes: list[Box] = []
    x, top, band_bottom, widest = GAP_X / 2, GAP_Y / 2, 0.0, 0.0
    for column in columns:
        column_w = max(item[2] for item in column)
        if x > GAP_X / 2 and x + column_w > band_width:
            x, top = GAP_X / 2, band_bottom + GAP_Y
        y = top
        for t, lines, w, h in column:
            boxes.append(Box(t.key, x, y, w, h, lines))
            y += h + GAP_Y / 2
        band_bottom = max(band_bottom, y)
        x += column_w + GAP_X
        widest = max(widest, x)
    return boxes, widest, band_bottom


def _place_grid(tables: list[Table], top: float, width: float) -> list[Box]:
    """Unlinked tables in reading order, on a grid about as wide as `width`."""
    sized = [_sized(t) for t in tables]
    if not sized:
        return []
    widest = max(item[2] for item in sized) + GAP_X
    ncols = max(1, int(width // widest), math.ceil(math.sqrt(len(sized) / 2)))
    boxes, y = [], top + GAP_Y / 2
    for start in range(0, len(sized), ncols):
        row = sized[start:start + ncols]
        for j, (t, lines, w, h) in enumerate(row):
            boxes.append(Box(t.key, GAP_X / 2 + j * widest, y, w, h, lines))
        y += max(item[3] for item in row) + GAP_Y / 2
    return boxes


def layout(schema: Schema) -> list[Box]:
    """Linked tables as layers (referenced tables left), unlinked ones in a grid
    below; deterministic for a given schema, linear in the number of tables.
    The picture aims at a landscape rectangle: bands about 1.6x as wide as the
    square root of the boxes' total area."""
    linked = _connected(schema)
    per_column = max(4, math.ceil(math.sqrt(len(linked))))
    columns = _columns(_layer_order(schema, linked), per_column)
    area = sum((w + GAP_X) * (h + GAP_Y) for column in columns for _, _, w, h in column)
    band_width = max(1600.0, 1.6 * math.sqrt(area))
    boxes, width, bottom = _place_layers(columns, band_width)
    rest = [t for t in schema.tables if t.key not in linked]
    return boxes + _place_grid(rest, bottom, width if boxes else band_width)


def _border_point(box: Box, toward: tuple[float, float]) -> tuple[float, float]:
    """Where the segment from the box's centre toward a point leaves the box."""
    cx, cy = box.center
    dx, dy = toward[0] - cx, toward[1] - cy
    if dx == 0 and dy == 0:
        return cx, cy
    scale = min((box.w / 2) / abs(dx) if dx else math.inf, (box.h / 2) / abs(dy) if dy else math.inf)
    return cx + dx * scale, cy + dy * scale


def _edge(rel: Relationship, child: Box, parent: Box) -> str:
    attrs = (f'class="erd-edge" data-from="{escape(rel.child)}" data-to="{escape(rel.parent)}" '
             f'marker-end="url(#erd-one)"')
    title = f"<title>{escape(rel.child)}.{escape(', '.join(rel.columns))} → {escape(rel.parent)}</title>"
    if child is parent:
        x, y = child.x + child.w, child.y + HEADER_H / 2
        return (f'<path {attrs} fill="none" d="M{x:.1f},{y:.1f} c40,0 40,30 0,30">{title}</path>')
    x1, y1 = _border_point(child, parent.center)
    x2, y2 = _border_point(parent, child.center)
    return f'<line {attrs} x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}">{title}</line>'


def _node(box: Box) -> str:
    name = escape(box.table)
    parts = [f'<g class="erd-node" data-table="{name}" transform="translate({box.x:.1f},{box.y:.1f})">',
             f'<title>{name}</title>',
             f'<rect class="erd-box" width="{box.w:.1f}" height="{box.h:.1f}" rx="4"/>',
             f'<rect class="erd-head" width="{box.w:.1f}" height="{HEADER_H}" rx="4"/>',
             f'<text class="erd-title" x="{PAD}" y="{HEADER_H - 7}">{escape(_fit(box.table))}</text>']
    for i, line in enumerate(box.lines):
        y = HEADER_H + LINE_H * (i + 1) - 3
        parts.append(f'<text class="erd-col" x="{PAD}" y="{y}">{escape(line)}</text>')
    parts.append("</g>")
    return "".join(parts)


def render_svg(schema: Schema) -> str:
    """The whole `<svg>` element (inline in the HTML page)."""
    boxes = layout(schema)
    by_table = {b.table: b for b in boxes}
    width = max((b.x + b.w for b in boxes), default=0) + GAP_X / 2
    height = max((b.y + b.h for b in boxes), default=0) + GAP_Y / 2
    edges = [_edge(r, by_table[r.child], by_table[r.parent]) for r in relationships(schema)
             if r.child in by_table and r.parent in by_table]
    defs = ('<defs><marker id="erd-one" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
            'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>')
    return (f'<svg id="erd-svg" role="img" aria-label="Entity-relationship diagram" '
            f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}">'
            f'{defs}<g class="erd-edges">{"".join(edges)}</g>'
            f'<g class="erd-nodes">{"".join(_node(b) for b in boxes)}</g></svg>')


__all__ = ["Box", "layers", "layout", "render_svg"]
