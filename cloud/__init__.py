"""The Tandem cloud service: authenticated gRPC in front of any OpenAI-compatible upstream."""
