"""Cloudflare D1's limits and PRAGMA allow-list (DESIGN.md section 7).

The numbers lint's D1xx rules check and the planner respects when it splits a
generated migration; kept here, with the rest of what dbtool knows about D1, so
that neither depends on the other.
"""

from __future__ import annotations

ALLOWED_PRAGMAS = frozenset({
    "foreign_keys", "defer_foreign_keys", "case_sensitive_like", "ignore_check_constraints",
    "legacy_alter_table", "recursive_triggers", "reverse_unordered_selects", "data_version",
    "page_size", "foreign_key_check", "foreign_key_list", "index_info", "index_list",
    "index_xinfo", "quick_check", "optimize", "table_list", "table_info", "table_xinfo",
})
MAX_STATEMENT_BYTES = 100_000
MAX_COLUMNS = 100
MAX_STATEMENTS = 100  # the seeds' batch limit: statements in one migration file
