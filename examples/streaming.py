"""Stream an answer: print its text as it arrives, then where it came from."""

from edge.sdk import EdgeClient


def main() -> None:
    """Print chunks as they come; `stream.answer` holds the provenance once the stream ends."""
    with EdgeClient() as client:
        stream = client.stream("Write one sentence about the sea.", prefer="local", max_tokens=24)
        for chunk in stream:
            print(chunk.text, end="", flush=True)
        print()
        answer = stream.answer
    print(f"route={answer.route} first_token_ms={answer.timings_ms.get('first_token', 0):.0f}")


if __name__ == "__main__":
    main()
