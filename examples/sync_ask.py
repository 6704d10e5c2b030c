"""Ask the edge daemon one question and print the answer with its provenance (synchronous SDK)."""

from edge.sdk import EdgeClient


def main() -> None:
    """Ask, then show where the answer came from and why."""
    with EdgeClient() as client:  # $TANDEM_SOCKET, else the default socket
        answer = client.ask("Name the capital city of Japan.", max_tokens=32)
    print(answer.text)
    print(f"route={answer.route} confidence={answer.confidence:.2f} reason={answer.reason!r}")


if __name__ == "__main__":
    main()
