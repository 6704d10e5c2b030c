"""Generate the committed synthetic PII fixture with presidio-evaluator (fixed seed), as JSON lines.

    .venv/bin/pip install --no-deps presidio-evaluator==0.3.2   # plus the `bench` extra
    .venv/bin/python -m bench.privacy.make_synthetic
    .venv/bin/python -m bench.privacy.make_synthetic --seed 7 --out /tmp/dev7.jsonl   # a development set

Rules are developed on sets from other seeds (never the committed one), which is then scored only at
the end: `python -m bench.privacy.run --synthetic /tmp/dev7.jsonl` scores a development set.
presidio-evaluator 0.3.2 is not fully deterministic even with a seed (a few middle initials and
addresses differ between runs), so the committed file, not a rerun, is the fixture.

Each line: {"text": ..., "spans": [{"type", "start", "end", "value"}]}.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

SEED = 42
SENTENCES = 1200
OUT = Path(__file__).resolve().parent / "data" / "synthetic_pii.jsonl"


def main(argv: list[str] | None = None) -> None:
    """Write `--sentences` sentences from seed `--seed` to `--out` (by default the committed fixture)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--sentences", type=int, default=SENTENCES)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    from presidio_evaluator.data_generator import PresidioSentenceFaker

    faker = PresidioSentenceFaker("en_US", lower_case_ratio=0.05, random_seed=args.seed)
    records = faker.generate_new_fake_sentences(num_samples=args.sentences)
    with args.out.open("w", encoding="utf-8") as sink:
        for record in records:
            spans = [
                {"type": s.entity_type, "start": s.start_position, "end": s.end_position, "value": s.entity_value}
                for s in record.spans
            ]
            sink.write(json.dumps({"text": record.full_text, "spans": spans}, ensure_ascii=False) + "\n")
    print(f"wrote {len(records)} sentences to {args.out}")


if __name__ == "__main__":
    main()
