"""``python -m bench`` (``make bench``): every benchmark, one after another."""
import asyncio

from bench import broadcast, broadcast_cluster, export, postgres, search, similar, vk, votes, webchat


def main() -> None:
    print("== web chat: messages per second through the whole core ==")
    print(webchat.report(asyncio.run(webchat.measure())), flush=True)
    print("\n== web chat on PostgreSQL: 1 and 2 bot processes on one database, next to SQLite ==")
    print(postgres.report(asyncio.run(postgres.measure())), flush=True)
    print("\n== polls: votes per second through the whole core ==")
    print(votes.report(asyncio.run(votes.measure())), flush=True)
    print("\n== VK: voters per second through the bot at VK's 20 requests a second ==")
    print(vk.report(asyncio.run(vk.measure())), flush=True)
    print("\n== exports: proposals to CSV and XLSX, time and peak memory ==")
    print(export.report(asyncio.run(export.measure())), flush=True)
    print("\n== search: 10,000 proposals indexed and searched by lemmas and by word forms ==")
    print(search.report(*asyncio.run(search.measure())), flush=True)
    print("\n== similar proposals: precision on labelled pairs, and a lookup among 5,000 ==")
    similar.main()
    print("\n== broadcasts: one announcement at the platforms' ceilings ==")
    print(broadcast.report(*asyncio.run(broadcast.measure())), flush=True)

    print("\n== broadcasts: over 100,000 residents from three bot processes on PostgreSQL ==")
    print(broadcast_cluster.report(asyncio.run(broadcast_cluster.measure())), flush=True)


main()
