"""``python -m bench`` (``make bench``): every benchmark, one after another."""
import asyncio

from bench import votes, webchat


def main() -> None:
    print("== web chat: messages per second through the whole core ==")
    print(webchat.report(asyncio.run(webchat.measure())), flush=True)
    print("\n== polls: votes per second through the whole core ==")
    print(votes.report(asyncio.run(votes.measure())), flush=True)


main()
