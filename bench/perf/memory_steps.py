"""Where the daemon's memory goes: RSS after each step of its start-up, in the daemon's own order.

Run: python -m bench.perf.memory_steps [--ctx 2048]
Prints one JSON object: for each step, RSS, anonymous and file-backed MiB after it and the growth
over the step before. The steps are those of `edge.daemon.EdgeDaemon`: the heap settings, the
imports, the privacy filter's NER, the model, one prompt through it. A fresh process each run, so
the figures do not depend on what an earlier step in another tool left behind.
"""

from __future__ import annotations

import argparse
import importlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _rss_mb() -> dict[str, float]:
    fields = {"VmRSS": "rss_mb", "RssAnon": "anon_mb", "RssFile": "file_mb"}
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name = line.split(":", 1)[0]
        if name in fields:
            out[fields[name]] = round(float(line.split()[1]) / 1024.0, 1)
    return out


def main() -> None:
    """Run the steps and print what each cost."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--ctx", type=int, default=2048)
    args = parser.parse_args()
    steps: list[dict[str, Any]] = [{"step": "python started", **_rss_mb()}]

    def step(name: str, action: Callable[[], object]) -> Any:
        result = action()
        now = _rss_mb()
        steps.append({"step": name, **now, "added_mb": round(now["rss_mb"] - steps[-1]["rss_mb"], 1)})
        return result

    def imports(*modules: str) -> Callable[[], None]:
        def run() -> None:
            for name in modules:
                importlib.import_module(name)

        return run

    from edge.heap import hand_back_freed_memory

    step("heap settings (edge.heap)", hand_back_freed_memory)
    step("import numpy and llama_cpp (what a bare llama-cpp-python process imports)", imports("numpy", "llama_cpp"))
    step("import grpc", imports("grpc"))
    step("import pydantic and the config schema", imports("shared.config"))
    step("import the privacy detectors and spaCy (without its CLI)", imports("shared.privacy.presets"))
    step("import the rest of the daemon (edge.daemon)", imports("edge.daemon"))
    from edge.privacy import PrivacyFilter, Vault
    from shared.config import EdgeConfig

    tmp = Path(tempfile.mkdtemp(prefix="tandem-memsteps-"))
    config = EdgeConfig.model_validate({"state_dir": str(tmp / "state"), "model": {"n_threads": 1, "n_ctx": args.ctx}})
    privacy = PrivacyFilter(config.privacy, Vault(tmp / "vault.db"))
    step("load the NER model (spaCy)", privacy.warm_up)
    step("scan one request", lambda: privacy.sanitize("Ana Lopez from Acme Corp called +1 415 555 0100.", "s1"))
    from edge.model import LocalModel

    model = step(f"load the model (n_ctx {args.ctx})", lambda: LocalModel(config.model))
    tokens = model.fit_prompt([{"role": "user", "content": "Say hello in one short sentence."}], 16).tokens
    step("generate 16 tokens", lambda: list(model.generate(tokens, 16, 0.0)))
    print(json.dumps({"steps": steps}, indent=1))


if __name__ == "__main__":
    main()
