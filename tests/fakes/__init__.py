"""Fakes for fault injection: a small OpenAI-compatible upstream whose failures the tests control."""
