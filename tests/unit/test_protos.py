"""The committed generated code matches what scripts/gen_protos.sh makes from the protos."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_generated_code_is_up_to_date(tmp_path: Path) -> None:
    work = tmp_path / "repo"
    (work / "protos").mkdir(parents=True)
    (work / "scripts").mkdir()
    for proto in (ROOT / "protos").glob("*.proto"):
        shutil.copy(proto, work / "protos" / proto.name)
    shutil.copy(ROOT / "scripts" / "gen_protos.sh", work / "scripts" / "gen_protos.sh")
    subprocess.run(["bash", str(work / "scripts" / "gen_protos.sh")], check=True, env={**os.environ, "PYTHON": sys.executable})
    generated = sorted(p.name for p in (work / "protos").iterdir() if p.suffix in {".py", ".pyi"})
    committed = sorted(p.name for p in (ROOT / "protos").iterdir() if p.suffix in {".py", ".pyi"} and p.name != "__init__.py")
    assert generated == committed
    for name in generated:
        assert (work / "protos" / name).read_text() == (ROOT / "protos" / name).read_text(), f"{name} is stale: run make protos"
