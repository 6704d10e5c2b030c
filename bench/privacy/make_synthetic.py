"""Generate the committed synthetic PII fixture with presidio-evaluator (fixed seed), as JSON lines.

    .venv/bin/pip install --no-deps presidio-evaluator==0.3.2   # plus the `bench` extra
    .venv/bin/python -m bench.privacy.make_synthetic

Each line: {"text": ..., "spans": [{"type", "start", "end", "value"}]}.
"""

from __future__ import annotations

import json
from pathlib import Path

SEED = 42
SENTENCES = 1200
OUT = Path(__file__).resolve().parent / "data" / "synthetic_pii.jsonl"


def main() -> None:
    """Write SENTENCES sentences from seed SEED to OUT."""
    from presidio_evaluator.data_generator import PresidioSentenceFaker

    faker = PresidioSentenceFaker("en_US", lower_case_ratio=0.05, random_seed=SEED)
    records = faker.generate_new_fake_sentences(num_samples=SENTENCES)
    with OUT.open("w", encoding="utf-8") as sink:
        for record in records:
            spans = [
                {"type": s.entity_type, "start": s.start_position, "end": s.end_position, "value": s.entity_value}
                for s in record.spans
            ]
            sink.write(json.dumps({"text": record.full_text, "spans": spans}, ensure_ascii=False) + "\n")
    print(f"wrote {len(records)} sentences to {OUT}")


if __name__ == "__main__":
    main()
