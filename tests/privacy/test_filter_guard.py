"""The filter's policies and vault, and the egress guard failing closed on findings, errors and time-outs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from edge.privacy import EgressGuard, PrivacyFilter, Vault
from shared.config import PrivacySettings
from shared.errors import ConfigError, PrivacyBlocked
from shared.privacy import Span
from shared.privacy.detectors import EmailDetector


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    store = Vault(tmp_path / "vault.db")
    yield store
    store.close()


class RaisingDetector:
    """A detector that always fails (fake: the failure path in isolation)."""

    name = "raises"

    def detect(self, text: str) -> list[Span]:
        raise RuntimeError(f"boom on {text}")  # the message quotes the input: it must not be shown


class HangingDetector:
    """A detector that never returns until released."""

    name = "hangs"

    def __init__(self) -> None:
        self.release = threading.Event()

    def detect(self, text: str) -> list[Span]:
        self.release.wait(30)
        return []


def test_policies_per_type(vault: Vault) -> None:
    settings = PrivacySettings(entities={"PHONE_NUMBER": "redact", "CREDIT_CARD": "block", "URL": "allow"}, ner=False)
    result = PrivacyFilter(settings, vault).sanitize(
        "mail a@b.org, call +1 415 555 2671, card 4111 1111 1111 1111, see https://x.org", "s1"
    )
    assert result.text == "mail <EMAIL_ADDRESS_1>, call <PHONE_NUMBER>, card <CREDIT_CARD_1>, see https://x.org"
    assert result.blocked_types == frozenset({"CREDIT_CARD"})
    assert result.entity_counts == {"EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1, "CREDIT_CARD": 1, "URL": 1}


def test_same_value_same_placeholder_per_session(vault: Vault) -> None:
    privacy = PrivacyFilter(PrivacySettings(ner=False), vault)
    first = privacy.sanitize("a@b.org and c@d.org", "s1").text
    again = privacy.sanitize("c@d.org then a@b.org", "s1").text
    other = privacy.sanitize("c@d.org", "s2").text
    assert first == "<EMAIL_ADDRESS_1> and <EMAIL_ADDRESS_2>"
    assert again == "<EMAIL_ADDRESS_2> then <EMAIL_ADDRESS_1>"
    assert other == "<EMAIL_ADDRESS_1>"


def test_vault_is_thread_safe(vault: Vault) -> None:
    values = [f"user{i}@example.org" for i in range(40)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda v: vault.placeholder_for("s", "EMAIL_ADDRESS", v), values * 3))
    mapping = dict(zip(values * 3, results, strict=True))
    assert len(set(mapping.values())) == 40  # one placeholder per value, none shared
    assert all(results[i] == mapping[v] for i, v in enumerate(values * 3))


def test_deny_and_allow_lists(vault: Vault) -> None:
    settings = PrivacySettings(deny_list={"CLIENT": ["Globex"]}, allow_list=["support@tandem.dev"], ner=False)
    result = PrivacyFilter(settings, vault).sanitize("Globex wrote to support@tandem.dev and bob@globex.com", "s")
    assert result.text == "<CLIENT_1> wrote to support@tandem.dev and <EMAIL_ADDRESS_1>"


def test_bad_deny_list_type_names_the_field() -> None:
    from shared.config import EdgeConfig, parse_config

    with pytest.raises(ConfigError, match=r"privacy\.deny_list"):
        parse_config(EdgeConfig, {"privacy": {"deny_list": {"client-2": ["x"]}}}, "test")


def test_filter_fails_closed_when_a_detector_raises(vault: Vault) -> None:
    privacy = PrivacyFilter(PrivacySettings(), vault, detectors=[EmailDetector(), RaisingDetector()])
    with pytest.raises(PrivacyBlocked, match="RuntimeError") as info:
        privacy.sanitize("secret text a@b.org", "s")
    assert "secret text" not in info.value.message


def test_filter_fails_closed_when_a_detector_hangs(vault: Vault) -> None:
    hanging = HangingDetector()
    privacy = PrivacyFilter(PrivacySettings(detector_timeout_s=0.3), vault, detectors=[hanging])
    started = time.perf_counter()
    with pytest.raises(PrivacyBlocked, match=r"longer than 0\.3 s"):
        privacy.sanitize("anything", "s")
    assert time.perf_counter() - started < 5
    hanging.release.set()


def test_guard_blocks_leftover_spans_but_not_placeholders() -> None:
    guard = EgressGuard.from_settings(PrivacySettings())
    guard.check("Ask <PERSON_1> at <EMAIL_ADDRESS_1> about <CREDIT_CARD_1>")
    with pytest.raises(PrivacyBlocked, match="EMAIL_ADDRESS"):
        guard.check("Ask a@b.org")
    with pytest.raises(PrivacyBlocked, match="API_KEY"):
        guard.check("use sk-proj-abcDEF1234567890abcdefGHIJ")


def test_guard_allows_allowed_types() -> None:
    EgressGuard.from_settings(PrivacySettings(entities={"EMAIL_ADDRESS": "allow"})).check("Ask a@b.org")


def test_guard_fails_closed_on_error_and_hang() -> None:
    with pytest.raises(PrivacyBlocked, match="egress check failed"):
        EgressGuard([RaisingDetector()]).check("x")
    hanging = HangingDetector()
    with pytest.raises(PrivacyBlocked, match="egress check took longer"):
        EgressGuard([hanging], timeout_s=0.2).check("x")
    hanging.release.set()


def test_concurrent_sanitizing_matches_sequential(vault: Vault) -> None:
    privacy = PrivacyFilter(PrivacySettings(), vault)
    texts = [f"Maria Gonzalez (maria{i}@example.org) met Tom Baker in Berlin about card 4111 1111 1111 1111." for i in range(16)]
    expected = [privacy.sanitize(t, f"seq{i}").text for i, t in enumerate(texts)]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda it: privacy.sanitize(it[1], f"par{it[0]}").text, enumerate(texts)))
    assert got == expected
    assert all("maria" not in g.lower() and "4111" not in g for g in got)
