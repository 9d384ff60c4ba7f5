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
