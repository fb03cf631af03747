"""Benchmarks with targets (issue 8): `make bench` or `python -m benchmarks` prints the table."""
