"""Use the `openai` package against the daemon's local endpoint: hybrid routing by changing base_url.

The model name picks the policy: tandem-auto, tandem-local or tandem-cloud. Each answer carries
a `tandem` field (route, confidence, sent_chars, ...); non-streamed answers also carry the
route in the `x-tandem-route` header. Private context goes in `extra_body={"tandem": {...}}`.
"""

import os

import openai

BASE_URL = os.environ.get("TANDEM_OPENAI_BASE_URL", "http://127.0.0.1:8088/v1")


def main() -> None:
    """List the models, chat once, then stream."""
    client = openai.OpenAI(base_url=BASE_URL, api_key="unused-on-loopback")
    print("models:", ", ".join(m.id for m in client.models.list()))

    raw = client.chat.completions.with_raw_response.create(
        model="tandem-auto",
        messages=[
            {"role": "system", "content": "Answer in one short sentence."},
            {"role": "user", "content": "Who is the patient's doctor?"},
        ],
        max_tokens=32,
        extra_body={"tandem": {"context": {"note.txt": "Patient: Ana Silva. Doctor: Dr. John Reyes."}}},
    )
    completion = raw.parse()
    tandem = (completion.model_extra or {})["tandem"]
    print(completion.choices[0].message.content)
    print(f"route={raw.headers['x-tandem-route']} confidence={tandem['confidence']} sent_chars={tandem['sent_chars']}")

    stream = client.chat.completions.create(
        model="tandem-local",
        messages=[{"role": "user", "content": "Name the capital city of Spain."}],
        max_tokens=24,
        stream=True,
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            print(chunk.choices[0].delta.content, end="", flush=True)
        if chunk.choices and chunk.choices[0].finish_reason:
            print(f"\n[stream route={(chunk.model_extra or {})['tandem']['route']}]")


if __name__ == "__main__":
    main()
