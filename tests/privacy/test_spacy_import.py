"""spaCy imported without its CLI package: lighter, the NER unchanged, and the real CLI still there when asked for.

Each case runs in a fresh interpreter, because whether spaCy's CLI gets imported depends on what the
process imported before.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLI_DEPENDENCIES = ("typer", "weasel", "rich", "requests")


def _fresh(code: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_spacy_comes_without_its_cli_and_the_ner_still_finds_entities() -> None:
    result = _fresh(
        "import json, sys\n"
        "from shared.privacy.spacy_import import import_spacy\n"
        "spacy = import_spacy()\n"
        "from shared.privacy.ner import NerDetector\n"
        "spans = NerDetector().detect('John Smith flew from Paris to meet Acme Corp.')\n"
        f"print(json.dumps({{'loaded': [m for m in {CLI_DEPENDENCIES!r} if m in sys.modules],\n"
        "  'cli': 'spacy.cli' in sys.modules, 'spans': sorted(s.entity_type for s in spans)}))"
    )
    assert result["loaded"] == []
    assert result["cli"] is False
    assert result["spans"] == ["LOCATION", "ORGANIZATION", "PERSON"]


def test_the_real_cli_loads_afterwards() -> None:
    result = _fresh(
        "import json, sys\n"
        "from shared.privacy.spacy_import import import_spacy\n"
        "spacy = import_spacy()\n"
        "import spacy.cli\n"
        "from spacy.cli.info import info\n"
        "print(json.dumps({'download': callable(getattr(spacy.cli, 'download', None)),\n"
        "  'info': callable(info) and info.__module__ == 'spacy.cli.info'}))"
    )
    assert result == {"download": True, "info": True}


@pytest.mark.parametrize("first", ["import spacy", "from shared.privacy.spacy_import import import_spacy; import_spacy()"])
def test_a_second_import_returns_the_same_module(first: str) -> None:
    result = _fresh(
        "import json, sys\n"
        f"{first}\n"
        "from shared.privacy.spacy_import import import_spacy\n"
        "print(json.dumps({'same': import_spacy() is sys.modules['spacy']}))"
    )
    assert result == {"same": True}


def test_the_cloud_service_and_the_cli_parser_never_import_spacy() -> None:
    # `tandem cloud serve` builds the whole `tandem` parser; the edge's NER has no business in the cloud process.
    result = _fresh(
        "import json, sys\n"
        "from edge.cli import build_parser\n"
        "build_parser()\n"
        "import cloud.server\n"
        "print(json.dumps({'spacy': 'spacy' in sys.modules, 'llama_cpp': 'llama_cpp' in sys.modules}))"
    )
    assert result == {"spacy": False, "llama_cpp": False}
