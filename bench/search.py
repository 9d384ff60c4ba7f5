"""Search by lemmas against search by word forms: indexing 10,000 proposals and querying them.

Two databases are filled with the same 10,000 proposals (varied Russian texts in many word
forms) through ``Proposals.create``, so the triggers index them as the bot does. One has the
lemmatising index of ``storage.search``; in the other the index function is replaced by one that
keeps the words as typed (what migration 0008 indexed), and its queries are the old prefix terms.
Both are timed in one run, the lemmatiser's cache emptied first, and printed with the ratio:
what lemmas cost per proposal sent, and per search in the panel (also per 1,000 proposals found,
since a search costs by what it finds, and by lemmas it finds more).
"""
from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from storage.database import Database
from storage.moderation import ProposalFilter
from storage.morphology import WORD, lemma_options
from storage.proposals import NewProposal

PROPOSALS = 10_000
QUERIES = 200
BATCH = 1000
NOUNS = ("скамейка скамейки скамейку скамеек скамейками фонарь фонари фонарей фонарями дорожка дорожки дорожку"
         " дорожек парк парке парка парков площадка площадки площадку площадок горка горки горку горок качели"
         " качелей фонтан фонтана фонтане пруд пруда пруду пруде липа липы липу лип тополь тополя тополей"
         " урна урны урн туалет туалета сцена сцены сцене аллея аллеи аллею аллей клумба клумбы клумб"
         " беседка беседки беседку беседок велодорожка велодорожки забор забора ограждение освещение"
         " собака собаки собак ребёнок детей детям мамы мам пенсионеры пенсионеров").split()
VERBS = ("поставить поставьте установить сделать отремонтировать посадить убрать заменить починить"
         " нужна нужны нет").split()
PLACES = ("у входа", "вдоль аллеи", "возле пруда", "на площади", "около школы", "у библиотеки", "во дворе",
          "на улице Ленина", "в центре", "за стадионом")
QUERY_WORDS = ("скамейка", "фонари", "дорожку", "парк", "площадки", "горка", "фонтан", "пруду", "липы", "урна",
               "беседка", "освещение", "собак", "детская площадка", "скамейки у пруда", "аллея")


def texts(count: int, seed: int = 13) -> list[str]:
    chance = random.Random(seed)
    return [f"{chance.choice(VERBS).capitalize()} {' и '.join(chance.sample(NOUNS, chance.randint(1, 3)))}"
            f" {chance.choice(PLACES)}, {' '.join(chance.sample(NOUNS, chance.randint(2, 6)))} №{number}"
            for number in range(count)]


def typed_words(text: object) -> str:
    """The index as migration 0008 kept it: the words as typed, lower-case."""
    return " ".join(WORD.findall(text.lower())) if isinstance(text, str) else ""


@dataclass(frozen=True)
class FormsFilter(ProposalFilter):
    """The proposal list's filter with the old query: each typed word a prefix term."""

    def fts_query(self) -> str:
        return " ".join(f'"{word}"*' for word in WORD.findall(self.search.lower())[:12])


@dataclass(frozen=True)
class Run:
    index_seconds: float
    query_ms: float        # median of QUERIES searches
    queries_seconds: float  # all of them
    found: int             # proposals the queries found, summed


async def run(folder: Path, name: str, lemmas: bool, proposals: list[str]) -> Run:
    db = await Database.open(folder / f"{name}.db")
    try:
        if not lemmas:
            async with db.transaction() as tx:
                await tx.proposals._db.create_function("search_lemmas", 1, typed_words, deterministic=True)
        lemma_options.cache_clear()
        started = time.perf_counter()
        for start in range(0, len(proposals), BATCH):
            async with db.transaction() as tx:
                for text in proposals[start:start + BATCH]:
                    await tx.proposals.create(NewProposal(None, "webchat", None, "idea", text))
        index_seconds = time.perf_counter() - started
        make = ProposalFilter if lemmas else FormsFilter
        timings, found = [], 0
        for number in range(QUERIES):
            query = QUERY_WORDS[number % len(QUERY_WORDS)]
            started = time.perf_counter()
            _, total = await db.reader.moderation.search(make(search=query), 50)
            timings.append(time.perf_counter() - started)
            found += total
        return Run(index_seconds, statistics.median(timings) * 1000, sum(timings), found)
    finally:
        await db.close()


async def measure(count: int = PROPOSALS) -> tuple[int, Run, Run]:
    proposals = texts(count)
    with tempfile.TemporaryDirectory() as folder:
        forms = await run(Path(folder), "forms", False, proposals)
        by_lemmas = await run(Path(folder), "lemmas", True, proposals)
    return count, forms, by_lemmas


def report(count: int, forms: Run, by_lemmas: Run) -> str:
    return "\n".join([
        f"{'':28} {'word forms':>12} {'lemmas':>12} {'ratio':>7}",
        f"{f'index {count:,} proposals, s':28} {forms.index_seconds:>12.2f} {by_lemmas.index_seconds:>12.2f}"
        f" {by_lemmas.index_seconds / forms.index_seconds:>7.2f}",
        f"{'per proposal, ms':28} {forms.index_seconds / count * 1000:>12.3f}"
        f" {by_lemmas.index_seconds / count * 1000:>12.3f}",
        f"{f'query (median of {QUERIES}), ms':28} {forms.query_ms:>12.2f} {by_lemmas.query_ms:>12.2f}"
        f" {by_lemmas.query_ms / forms.query_ms:>7.2f}",
        f"{'proposals found, summed':28} {forms.found:>12,} {by_lemmas.found:>12,}"
        f" {by_lemmas.found / max(forms.found, 1):>7.2f}",
        f"{'query ms per 1,000 found':28} {per_thousand(forms):>12.2f} {per_thousand(by_lemmas):>12.2f}"
        f" {per_thousand(by_lemmas) / per_thousand(forms):>7.2f}",
    ])


def per_thousand(result: Run) -> float:
    """Query time for each 1,000 proposals found: a search costs by what it finds, and by lemmas
    it finds more."""
    return result.queries_seconds * 1000 / max(result.found, 1) * 1000


if __name__ == "__main__":
    print(report(*asyncio.run(measure())))
