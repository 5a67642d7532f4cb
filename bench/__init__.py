"""dbtool's benchmark harness (`python -m bench`, `make bench`).

It installs the peer tools in a git-ignored folder, generates the workloads
under bench/.work/, runs dbtool and each peer alternately on the same
workload, and writes bench/RESULTS.md and bench/results.json. It is not part of
the test suite; tests/bench/test_bench_smoke.py runs one tiny workload.
"""
