"""``python -m bench`` (``make bench``): every benchmark, one after another."""
import asyncio

from bench import webchat


def main() -> None:
    print("== web chat: messages per second through the whole core ==")
    print(webchat.report(asyncio.run(webchat.measure())), flush=True)


main()
