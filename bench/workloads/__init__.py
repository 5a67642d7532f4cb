"""The workloads, by the name `--only` takes, in the order a full run measures them."""

from __future__ import annotations

from collections.abc import Callable

from bench.model import Context, Workload
from bench.workloads.apply_d1 import apply_d1
from bench.workloads.apply_postgres import apply_postgres
from bench.workloads.apply_sqlite import apply_sqlite
from bench.workloads.check import check
from bench.workloads.diff import diff_postgres
from bench.workloads.introspect import introspect_html
from bench.workloads.schema import schema_postgres, schema_sqlite
from bench.workloads.startup import startup, status

WORKLOADS: dict[str, Callable[[Context], list[Workload]]] = {
    "startup": startup,
    "status": status,
    "apply-sqlite": apply_sqlite,
    "apply-postgres": apply_postgres,
    "apply-d1": apply_d1,
    "schema-postgres": schema_postgres,
    "schema-sqlite": schema_sqlite,
    "introspect-html": introspect_html,
    "check": check,
    "diff-postgres": diff_postgres,
}
POSTGRES = {"apply-postgres", "schema-postgres", "check", "diff-postgres"}
