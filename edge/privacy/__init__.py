"""The edge privacy filter: pseudonymize with a per-session vault, guard what leaves, restore what returns."""

from edge.privacy.filter import PrivacyFilter, SanitizedText
from edge.privacy.guard import EgressGuard
from edge.privacy.restore import StreamRestorer, restore_text
from edge.privacy.vault import Vault

__all__ = ["EgressGuard", "PrivacyFilter", "SanitizedText", "StreamRestorer", "Vault", "restore_text"]
