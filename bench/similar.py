"""Similar proposals: how often the offer is right, and what a lookup costs in a town.

Quality: the labelled pairs of tests/fixtures/similar_pairs.yaml (same idea said differently, or a
different idea sharing words). Every text of the set goes into one index, so the words' weights
come from a corpus of proposals; each pair is scored as the resident's text against the stored
proposal. Printed: precision and recall at the configured threshold, and in the same run the
baseline a plain word overlap gives (Jaccard of the lower-case words, no lemmas, no stop words)
at its own best threshold and at the recall ours reaches.

Cost: 5,000 proposals (the set's texts with a street and a detail each) stored in a real SQLite
file, then lookups through ``SimilarProposals.for_resident`` as the bot makes them (the index
checked against the table first). Printed: the first lookup (which builds the index), a lookup
after that, and a lookup right after a new proposal, as milliseconds and as a ratio to an
unindexed scan of all the proposals' words in the same run.
"""
from __future__ import annotations

import asyncio
import math
import random
import re
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.config import ProposalSettings
from storage.database import Database
from storage.proposals import NewProposal
from storage.similarity import SimilarityIndex, terms

PAIRS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "similar_pairs.yaml"
WORD = re.compile(r"\w+", re.UNICODE)
TOWN = 5_000
LOOKUPS = 200


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    same: bool


def load_pairs(path: Path = PAIRS, part: str = "") -> list[Pair]:
    """The labelled pairs (``part="held_out_"``: those written after the method was settled)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return ([Pair(a, b, True) for a, b in data[f"{part}same"]]
            + [Pair(a, b, False) for a, b in data[f"{part}different"]])


def lemma_scores(pairs: list[Pair]) -> list[float]:
    """Each pair's score as the bot computes it: the second text indexed among all the set's texts."""
    index = SimilarityIndex()
    texts = sorted({text for pair in pairs for text in (pair.first, pair.second)})
    number = {text: n for n, text in enumerate(texts, 1)}
    for text, n in number.items():
        index.put(n, text, "accepted", None)
    return [index.score(pair.first, number[pair.second]) for pair in pairs]


def overlap_scores(pairs: list[Pair]) -> list[float]:
    """The baseline: shared lower-case words over all the words of both (Jaccard)."""
    scores = []
    for pair in pairs:
        a, b = set(WORD.findall(pair.first.lower())), set(WORD.findall(pair.second.lower()))
        scores.append(len(a & b) / len(a | b) if a | b else 0.0)
    return scores


def precision_recall(pairs: list[Pair], scores: list[float], threshold: float) -> tuple[float, float]:
    offered = [pair.same for pair, score in zip(pairs, scores) if score >= threshold]
    true = sum(offered)
    relevant = sum(pair.same for pair in pairs)
    return (true / len(offered) if offered else 1.0), true / relevant


def best_f1(pairs: list[Pair], scores: list[float]) -> tuple[float, float, float]:
    """(threshold, precision, recall) with the best F1 over the scores that occur (above 0: a
    threshold of 0 offers everything)."""
    best = (0.0, 0.0, 0.0, -1.0)
    for threshold in sorted(set(scores) - {0.0}):
        precision, recall = precision_recall(pairs, scores, threshold)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if f1 > best[3]:
            best = (threshold, precision, recall, f1)
    return best[:3]


def at_recall(pairs: list[Pair], scores: list[float], recall: float) -> tuple[float, float, float]:
    """(threshold, precision, recall) at the highest threshold whose recall reaches ``recall``."""
    for threshold in sorted(set(scores), reverse=True):
        p, r = precision_recall(pairs, scores, threshold)
        if r >= recall:
            return threshold, p, r
    return 0.0, *precision_recall(pairs, scores, 0.0)


def quality(threshold: float, part: str = "") -> dict[str, float]:
    pairs = load_pairs(part=part)
    ours = lemma_scores(pairs)
    baseline = overlap_scores(pairs)
    precision, recall = precision_recall(pairs, ours, threshold)
    b_threshold, b_precision, b_recall = best_f1(pairs, baseline)
    e_threshold, e_precision, e_recall = at_recall(pairs, baseline, recall)
    return {"pairs": len(pairs), "same": sum(p.same for p in pairs), "threshold": threshold,
            "precision": precision, "recall": recall,
            "baseline_threshold": b_threshold, "baseline_precision": b_precision, "baseline_recall": b_recall,
            "baseline_equal_recall_threshold": e_threshold, "baseline_equal_recall_precision": e_precision,
            "baseline_equal_recall": e_recall}


def town_texts(count: int, seed: int = 13) -> list[str]:
    """``count`` proposal texts: the set's texts, each with a street and a detail of its own."""
    pairs = load_pairs()
    base = sorted({text for pair in pairs for text in (pair.first, pair.second)})
    streets = ["на улице Шахтёров", "в 5-м микрорайоне", "у школы № 4", "возле ДК «Даурия»", "в сквере Шахтёров",
               "на проспекте Строителей", "у больницы", "в 1-м микрорайоне", "возле стадиона", "у рынка"]
    details = ["Очень ждём.", "Дети будут рады.", "Об этом говорят все соседи.", "Это важно для пенсионеров.",
               "Пишу от имени двора.", "Сейчас там пусто.", "Летом особенно нужно.", "Зимой тоже."]
    rng = random.Random(seed)
    return [f"{rng.choice(base)} {rng.choice(streets)}. {rng.choice(details)}" for _ in range(count)]


def scan(texts_terms: list[Counter], query: Counter) -> list[tuple[int, float]]:
    """Cosine of plain counts against every proposal, no index: what a lookup costs unindexed."""
    norm_q = math.sqrt(sum(v * v for v in query.values()))
    found = []
    for n, counts in enumerate(texts_terms):
        dot = sum(v * counts.get(k, 0) for k, v in query.items())
        if dot:
            found.append((n, dot / (norm_q * math.sqrt(sum(v * v for v in counts.values())))))
    return sorted(found, key=lambda item: -item[1])[:3]


async def cost(settings: ProposalSettings, count: int = TOWN) -> dict[str, float]:
    texts = town_texts(count)
    queries = town_texts(LOOKUPS, seed=99)
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "bench.db")
        try:
            async with db.transaction() as tx:
                for text in texts:
                    await tx.proposals.create(NewProposal(resident_id=None, channel="webchat", source=None,
                                                          category="idea", text=text))
                await tx.residents._db.execute("UPDATE proposals SET status = 'accepted' WHERE id % 2 = 0")

            async def lookup(text: str) -> float:
                started = time.perf_counter()
                await db.reader.similar.for_resident(text, None, statuses=settings.similar_statuses,
                                                     limit=settings.similar_limit, threshold=settings.similar_threshold)
                return time.perf_counter() - started

            first = await lookup(queries[0])
            warm = sorted([await lookup(q) for q in queries])
            async with db.transaction() as tx:
                await tx.proposals.create(NewProposal(resident_id=None, channel="webchat", source=None,
                                                      category="idea", text=queries[1]))
            after_new = await lookup(queries[2])
        finally:
            await db.close()
    counted = [Counter(terms(text)) for text in texts]
    started = time.perf_counter()
    for query in queries:
        scan(counted, Counter(terms(query)))
    scanned = (time.perf_counter() - started) / len(queries)
    median = warm[len(warm) // 2]
    return {"proposals": count, "first_ms": first * 1000, "median_ms": median * 1000,
            "p95_ms": warm[int(len(warm) * 0.95) - 1] * 1000, "after_new_ms": after_new * 1000,
            "scan_ms": scanned * 1000, "scan_ratio": scanned / median if median else 0.0}


def report(q: dict[str, float], held_out: dict[str, float], c: dict[str, float]) -> str:
    return "\n".join([
        f"labelled pairs: {q['pairs']} ({q['same']} the same idea, {q['pairs'] - q['same']} different)",
        f"lemmas + stop words + synonyms, TF-IDF cosine, threshold {q['threshold']:.2f}:"
        f" precision {q['precision']:.1%}, recall {q['recall']:.1%}",
        f"baseline word overlap (Jaccard, no lemmas), best F1 at {q['baseline_threshold']:.2f}:"
        f" precision {q['baseline_precision']:.1%}, recall {q['baseline_recall']:.1%}",
        f"baseline at the same recall ({q['baseline_equal_recall']:.1%}, threshold"
        f" {q['baseline_equal_recall_threshold']:.2f}): precision {q['baseline_equal_recall_precision']:.1%}",
        f"held-out pairs ({held_out['pairs']}, written after the method was settled): precision"
        f" {held_out['precision']:.1%}, recall {held_out['recall']:.1%}; baseline at the same recall"
        f" {held_out['baseline_equal_recall_precision']:.1%}",
        f"{c['proposals']} proposals: first lookup (builds the index) {c['first_ms']:.0f} ms;"
        f" then median {c['median_ms']:.2f} ms, p95 {c['p95_ms']:.2f} ms; right after a new proposal"
        f" {c['after_new_ms']:.2f} ms; an unindexed scan takes {c['scan_ratio']:.1f}× the median lookup",
    ])


def main() -> None:
    settings = ProposalSettings()
    threshold = settings.similar_threshold
    print(report(quality(threshold), quality(threshold, "held_out_"), asyncio.run(cost(settings))), flush=True)


if __name__ == "__main__":
    main()
