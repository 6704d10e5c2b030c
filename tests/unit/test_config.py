"""Config loading: defaults, YAML errors, schema errors naming the field, env overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.config import CloudConfig, EdgeConfig, dump_config, load_cloud_config, load_edge_config
from shared.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_defaults_validate() -> None:
    config = load_edge_config(None, environ={})
    assert config.model.path is None
    assert config.policy.confidence_threshold == pytest.approx(0.55)
    assert load_cloud_config(None, environ={}).listen.host == "127.0.0.1"


def test_yaml_file_values_are_used(tmp_path: Path) -> None:
    config = load_edge_config(write(tmp_path, "cloud:\n  target: 127.0.0.1:7000\npolicy:\n  confidence_threshold: 0.9\n"), environ={})
    assert config.cloud.target == "127.0.0.1:7000"
    assert config.policy.confidence_threshold == pytest.approx(0.9)


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid YAML at line 3"):
        load_edge_config(write(tmp_path, "cloud:\n  target: [unclosed\n"), environ={})


def test_unknown_field_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"policy\.treshold"):
        load_edge_config(write(tmp_path, "policy:\n  treshold: 0.3\n"), environ={})


def test_wrong_type_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"generation\.max_tokens"):
        load_edge_config(write(tmp_path, "generation:\n  max_tokens: lots\n"), environ={})


def test_out_of_range_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"policy\.confidence_threshold"):
        load_edge_config(write(tmp_path, "policy:\n  confidence_threshold: 3\n"), environ={})


def test_top_level_must_be_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_edge_config(write(tmp_path, "- a\n- b\n"), environ={})


def test_missing_file_is_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load_edge_config(tmp_path / "nope.yaml", environ={})


def test_bad_entity_action_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"privacy\.entities\.CREDIT_CARD"):
        load_edge_config(write(tmp_path, "privacy:\n  entities:\n    CREDIT_CARD: shred\n"), environ={})


def test_env_overrides_win_over_file(tmp_path: Path) -> None:
    path = write(tmp_path, "cloud:\n  target: 127.0.0.1:7000\n")
    env = {"TANDEM_EDGE__CLOUD__TARGET": "127.0.0.1:9000", "TANDEM_EDGE__GENERATION__MAX_TOKENS": "17"}
    config = load_edge_config(path, environ=env)
    assert config.cloud.target == "127.0.0.1:9000"
    assert config.generation.max_tokens == 17


def test_bad_env_override_is_named() -> None:
    with pytest.raises(ConfigError, match=r"limits\.queue_limit"):
        load_edge_config(None, environ={"TANDEM_EDGE__LIMITS__QUEUE_LIMIT": "-4"})


def test_sha256_must_be_hex() -> None:
    with pytest.raises(ConfigError, match=r"model\.sha256"):
        load_edge_config(None, environ={"TANDEM_EDGE__MODEL__SHA256": "xyz"})


def test_dump_masks_secrets() -> None:
    config = CloudConfig.model_validate({"auth": {"tokens": ["s3cret"]}, "upstream": {"api_key": "sk-live"}})
    text = dump_config(config)
    assert "s3cret" not in text and "sk-live" not in text
    assert "***" in text
    edge = EdgeConfig.model_validate({"cloud": {"token": "tok-123"}})
    assert "tok-123" not in dump_config(edge)
