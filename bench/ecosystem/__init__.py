"""Benchmarks for the ecosystem surface (the OpenAI-compatible endpoint, metrics)."""
