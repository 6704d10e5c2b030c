"""Ask several questions at once with the asyncio SDK; the daemon queues them for its one model."""

import asyncio

from edge.sdk import AsyncEdgeClient

QUESTIONS = ("Name the capital city of France.", "Name the capital city of Italy.")


async def main() -> None:
    """Ask every question concurrently and print each answer's route."""
    async with AsyncEdgeClient() as client:
        answers = await asyncio.gather(*(client.ask(q, prefer="local", max_tokens=24) for q in QUESTIONS))
    for question, answer in zip(QUESTIONS, answers, strict=True):
        print(f"{question} -> {answer.text.strip()} [{answer.route}]")


if __name__ == "__main__":
    asyncio.run(main())
