"""Sensitive-span detection shared by the edge filter and its egress guard."""

from shared.privacy.detectors import DEFAULT_DETECTORS, Detector, detect_all
from shared.privacy.spans import Span, resolve_overlaps

__all__ = ["DEFAULT_DETECTORS", "Detector", "Span", "detect_all", "resolve_overlaps"]
