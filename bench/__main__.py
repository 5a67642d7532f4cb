"""`python -m bench` / `make bench`: measure dbtool against its peers and write the results.

    python -m bench                       # full run, writes bench/RESULTS.md + bench/results.json
    python -m bench --quick --no-peers    # tiny sizes, no installs (what the smoke test runs)
    python -m bench --only startup apply-sqlite --runs 3

A partial run (--quick or --only) writes to bench/.work/ unless --output/--json
name a file, so it never replaces the committed full-run results by accident.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from bench import machine, targets
from bench.model import Context, Sizes, Workload
from bench.paths import RESULTS_JSON, RESULTS_MD, WORK
from bench.peers import Peers, install_peers
from bench.pg import PgServer
from bench.report import Results, render_text, write_json
from bench.report_md import write_markdown
from bench.workloads import POSTGRES, WORKLOADS


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, few runs (the smoke test)")
    parser.add_argument("--only", nargs="+", choices=list(WORKLOADS), metavar="NAME",
                        help=f"workloads to run: {', '.join(WORKLOADS)}")
    parser.add_argument("--no-peers", action="store_true", help="do not install or run the peers")
    parser.add_argument("--runs", type=int, help="measured runs per case (default 5, quick 2)")
    parser.add_argument("--budget", type=float, help="seconds of measured runs per case and size "
                        "(default 20, quick 3); a slower case gets fewer runs")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="stdout format")
    parser.add_argument("--output", type=Path, help=f"Markdown report (default {RESULTS_MD})")
    parser.add_argument("--json", type=Path, help=f"JSON results (default {RESULTS_JSON})")
    parser.add_argument("--no-profile", action="store_true", help="skip profiling missed targets")
    parser.add_argument("--work", type=Path, default=WORK, help=f"generated workloads (default {WORK})")
    args = parser.parse_args(argv)
    partial = args.quick or args.only
    args.output = args.output or (WORK / "RESULTS-partial.md" if partial else RESULTS_MD)
    args.json = args.json or (WORK / "results-partial.json" if partial else RESULTS_JSON)
    args.runs = args.runs or (2 if args.quick else 5)
    args.budget = args.budget or (3.0 if args.quick else 20.0)
    return args


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _peers(args: argparse.Namespace) -> tuple[Peers, dict[str, str]]:
    if args.no_peers:
        return Peers(), {"all peers": "not installed (--no-peers)"}
    peers = install_peers(_log)
    install = {}
    for peer in peers.all():
        when = "this run" if peer.installed_now else "an earlier run"
        install[peer.name] = (f"not measured: {peer.reason}" if peer.reason else
                              f"{peer.install_seconds:.1f} s (installed in {when})"
                              if peer.install_seconds is not None else "found installed")
    return peers, install


def _postgres(names: list[str], stack: ExitStack) -> tuple[PgServer | None, str | None]:
    if not POSTGRES & set(names):
        return None, "not needed by the selected workloads"
    pg, reason = PgServer.connect()
    if pg is not None:
        stack.callback(pg.close)
        dropped = pg.drop_stale()
        if dropped:
            _log(f"dropped {len(dropped)} database(s) left by earlier runs")
    return pg, reason


def run_workloads(ctx: Context, names: list[str]) -> list[Workload]:
    """Each workload in turn; one that breaks is reported with its reason, not dropped."""
    out: list[Workload] = []
    for name in names:
        ctx.log(f"{name} …")
        started = time.perf_counter()
        try:
            out += WORKLOADS[name](ctx)
        except Exception as exc:  # a broken workload must not lose the others' results
            out.append(Workload(name, name, name, f"not measured: {type(exc).__name__}: {exc}", []))
        ctx.log(f"{name}: {time.perf_counter() - started:.0f} s")
    return out


def _profiles(ctx: Context, results: list[targets.TargetResult]) -> None:
    from bench.profiling import profile_row

    for target in results:
        if target.met is False and target.row is not None:
            ctx.log(f"profiling: {target.target}")
            target.profile = profile_row(ctx, target.row)


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    # SIGTERM unwinds like Ctrl-C, so every fresh database is still dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args = parse_args(argv)
    names = args.only or list(WORKLOADS)
    peers, install = _peers(args)
    with ExitStack() as stack:
        pg, pg_reason = _postgres(names, stack)
        ctx = Context(args.quick, args.runs, args.budget, peers, args.work, _log, pg, pg_reason,
                      Sizes.for_mode(args.quick))
        stack.enter_context(ctx.cleanup)
        facts = machine.describe(peers, pg)
        workloads = run_workloads(ctx, names)
        checked = targets.evaluate(workloads)
        if not args.no_profile:
            _profiles(ctx, checked)
        facts["load average at end (1/5/15 min)"] = machine.load_average()
    from bench.notes import notes_for

    settings = {"quick": args.quick, "runs": args.runs, "budget_s": args.budget,
                "workloads": " ".join(names), "peers": not args.no_peers}
    results = Results(facts, settings, workloads, checked, install,
                      notes_for(workloads, install), time.perf_counter() - started)
    write_markdown(results, args.output)
    write_json(results, args.json)
    sys.stdout.write(render_text(results) if args.format == "text" else
                     json.dumps(results.to_dict(), indent=2, ensure_ascii=False) + "\n")
    _log(f"wrote {args.output} and {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
