"""The HTML report's inline stylesheet and script.

Both are inlined into every page so the file opens with no network access
(no CDN, no web fonts). The script is the filter box: it hides every table
section whose name and column names do not contain the query, dims the ERD
nodes and lines of the tables it hides, and keeps the query in the URL fragment
(`#filter=users`), which it also reads on load — so a link can open the
report pre-filtered, and a test can drive the very same code from a URL.
"""

CSS = """
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --head: #f6f8fa; --accent: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); }
header, main, section.block { padding: 0 24px; }
header { padding-top: 16px; border-bottom: 1px solid var(--line); }
h1 { margin: 0 0 4px; font-size: 22px; }
h2 { font-size: 18px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 0 0 6px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.muted { color: var(--muted); }
dl.summary { display: flex; flex-wrap: wrap; gap: 8px 24px; margin: 8px 0 16px; }
dl.summary div { display: flex; gap: 6px; }
dl.summary dt { color: var(--muted); }
dl.summary dd { margin: 0; font-weight: 600; }
#filter-bar { position: sticky; top: 0; z-index: 2; background: #fff; padding: 10px 24px;
  border-bottom: 1px solid var(--line); display: flex; gap: 12px; align-items: center; }
#filter { width: min(420px, 60vw); padding: 6px 10px; font-size: 14px; border: 1px solid var(--line);
  border-radius: 6px; }
table.grid { border-collapse: collapse; margin: 6px 0 10px; }
table.grid th, table.grid td { border: 1px solid var(--line); padding: 3px 8px; text-align: left;
  vertical-align: top; }
table.grid th { background: var(--head); }
section.table-section { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px;
  margin: 12px 0; content-visibility: auto; contain-intrinsic-size: auto 320px; }
section.table-section[hidden] { display: none; }
.key { color: var(--accent); font-weight: 600; }
.erd-scroll { overflow: auto; max-height: 80vh; border: 1px solid var(--line); border-radius: 6px; }
#erd-svg { display: block; font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.erd-box { fill: #fff; stroke: #57606a; }
.erd-head { fill: #ddf4ff; stroke: #57606a; }
.erd-title { font-weight: 700; fill: #0a3069; }
.erd-col { fill: var(--fg); }
.erd-edge { stroke: #8c959f; stroke-width: 1.2; }
.erd-dim { opacity: 0.12; }
"""

JS = r"""
(function () {
  "use strict";
  var input = document.getElementById("filter");
  var counter = document.getElementById("filter-count");
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.table-section"));
  var nodes = {};
  Array.prototype.forEach.call(document.querySelectorAll(".erd-node"), function (n) {
    nodes[n.getAttribute("data-table")] = n;
  });
  var edges = Array.prototype.slice.call(document.querySelectorAll(".erd-edge"));

  function matches(section, query) {
    return !query || section.getAttribute("data-search").indexOf(query) !== -1;
  }

  function applyFilter(raw) {
    var query = (raw || "").trim().toLowerCase();
    var shown = 0, visible = {};
    sections.forEach(function (section) {
      var name = section.getAttribute("data-table");
      var hit = matches(section, query);
      section.hidden = !hit;
      visible[name] = hit;
      if (nodes[name]) { nodes[name].classList.toggle("erd-dim", !hit); }
      if (hit) { shown += 1; }
    });
    edges.forEach(function (edge) {
      var on = visible[edge.getAttribute("data-from")] && visible[edge.getAttribute("data-to")];
      edge.classList.toggle("erd-dim", !on);
    });
    counter.textContent = shown + " of " + sections.length + " tables";
    document.body.setAttribute("data-filter", query);
    return shown;
  }

  function fromFragment() {
    var match = /^#filter=(.*)$/.exec(window.location.hash || "");
    return match ? decodeURIComponent(match[1]) : "";
  }

  input.addEventListener("input", function () {
    applyFilter(input.value);
    try {
      var hash = input.value ? "#filter=" + encodeURIComponent(input.value)
                             : window.location.pathname + window.location.search;
      window.history.replaceState(null, "", hash);
    } catch (e) { /* file:// pages may refuse; the filter still works */ }
  });
  window.addEventListener("hashchange", function () {
    input.value = fromFragment();
    applyFilter(input.value);
  });
  window.dbtoolFilter = applyFilter;
  input.value = fromFragment();
  applyFilter(input.value);
})();
"""

__all__ = ["CSS", "JS"]
