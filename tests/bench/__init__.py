"""Tests of the benchmark harnesses."""
