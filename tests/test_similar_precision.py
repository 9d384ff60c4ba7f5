"""How often the similar-proposal offer is right, on the labelled pairs of Russian proposals
(tests/fixtures/similar_pairs.yaml), at the configured threshold. Quality, not time.

The floor: every «different» pair of the set shares words with its partner on purpose
(«скамейки у пруда» and «почистить пруд»), so a plain word overlap is at chance there (about 50 %
precision at the same recall, computed in the same run). At 80 % at most one offer in five is
off, and an offer that is off costs the resident one tap («Отправить мою»); recall is held too,
so the precision cannot be bought by offering nothing.
"""
from __future__ import annotations

from bench.similar import at_recall, lemma_scores, load_pairs, overlap_scores, precision_recall
from bot.config import ProposalSettings

PRECISION_FLOOR = 0.80
RECALL_FLOOR = 0.75
OVER_THE_BASELINE = 0.20  # precision points over plain word overlap at the same recall


def test_the_offer_is_right_four_times_in_five_and_finds_most_of_the_same_ideas():
    pairs = load_pairs()
    assert len(pairs) >= 190 and abs(sum(p.same for p in pairs) - len(pairs) / 2) <= 5  # about half and half
    precision, recall = precision_recall(pairs, lemma_scores(pairs), ProposalSettings().similar_threshold)
    assert precision >= PRECISION_FLOOR and recall >= RECALL_FLOOR, (precision, recall)
    _, baseline, _ = at_recall(pairs, overlap_scores(pairs), recall)
    assert precision >= baseline + OVER_THE_BASELINE, (precision, baseline)


def test_an_index_grown_one_proposal_at_a_time_decides_as_a_fresh_one():
    """A town's index grows one proposal at a time between lookups, and its word weights are
    worked out again only once it has grown by a share (storage/similarity.STALE_SHARE): the
    offers it makes must be those of an index built at once."""
    from storage.similarity import SimilarityIndex

    pairs = load_pairs()
    texts = sorted({text for pair in pairs for text in (pair.first, pair.second)})
    grown = SimilarityIndex()
    for number, text in enumerate(texts, 1):
        grown.put(number, text, "accepted", None)
        grown.similar(text, limit=3, threshold=0.0)  # a lookup after each proposal fills the caches
    number = {text: n for n, text in enumerate(texts, 1)}
    stale = [grown.score(pair.first, number[pair.second]) for pair in pairs]
    fresh = lemma_scores(pairs)
    assert max(abs(a - b) for a, b in zip(stale, fresh)) <= 0.05
    threshold = ProposalSettings().similar_threshold
    assert precision_recall(pairs, stale, threshold) == precision_recall(pairs, fresh, threshold)
