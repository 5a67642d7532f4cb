"""One-off experiments cited by bench/FINDINGS.md; not run by `make bench`."""
