"""Reliability benchmarks: a bounded, self-stopping load generator for the daemon and the cloud."""
