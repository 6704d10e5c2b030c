"""A bare llama-cpp-python process for the raw baselines, so raw and daemon each run one model in their own process.

Run: python -m bench.perf.raw_worker --model PATH --threads 1 --ctx 2048 [--logits-all]
Reads one JSON command per stdin line, {"arm": "raw_generate" | "raw_completion" | "raw_completion_logprobs",
"max_tokens": N}, and answers each with one JSON line {"tokens", "ttft_s", "total_s"}, timed inside this process.
It prints "raw worker ready" once the model is loaded.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from types import TracebackType

from bench.perf.edge_decode import DECODE_PROMPT, Run, load_llama, prompt_tokens, raw_completion, raw_generate


class RawWorker:
    """The parent's handle on one worker subprocess."""

    def __init__(self, model: Path, threads: int, ctx: int, logits_all: bool) -> None:
        args = [sys.executable, "-m", "bench.perf.raw_worker", "--model", str(model), "--threads", str(threads), "--ctx", str(ctx)]
        self._proc = subprocess.Popen(
            [*args, "--logits-all"] if logits_all else args,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if "ready" not in line:
            self.close()
            raise RuntimeError(f"the raw llama worker did not start: {line!r}")
        self.prompt_tokens = int(line.split()[-1])

    def run(self, arm: str, max_tokens: int) -> Run:
        """One generation in the worker."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps({"arm": arm, "max_tokens": max_tokens}) + "\n")
        self._proc.stdin.flush()
        return Run(**json.loads(self._proc.stdout.readline()))

    def close(self) -> None:
        """Stop the worker."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(10)

    def __enter__(self) -> RawWorker:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def main() -> None:
    """Load the model once, then serve commands until stdin closes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--ctx", type=int, default=2048)
    parser.add_argument("--logits-all", action="store_true")
    args = parser.parse_args()
    llm = load_llama(args.model, args.ctx, args.threads, logits_all=args.logits_all)
    tokens = prompt_tokens(llm, DECODE_PROMPT)
    print(f"raw worker ready {len(tokens)}", flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        arm, max_tokens = command["arm"], int(command["max_tokens"])
        if arm == "raw_generate":
            run = raw_generate(llm, tokens, max_tokens)
        else:
            run = raw_completion(llm, tokens, max_tokens, logprobs=arm == "raw_completion_logprobs")
        print(json.dumps(asdict(run)), flush=True)


if __name__ == "__main__":
    main()
