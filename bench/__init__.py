"""Benchmarks: each figure is a ratio against a floor measured in the same run, so it holds on
a noisy machine, with the absolute values beside it for reference. Not tests: run `make bench`."""
