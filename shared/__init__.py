"""Code both sides of Tandem use: config schema, errors and their gRPC mapping, privacy detectors, logging."""

__version__ = "0.1.0"
