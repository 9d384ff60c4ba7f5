"""How alike two proposals are: TF-IDF cosine over their weighted lemmas, the park's synonyms folded.

Why this and no library: a town has thousands of proposals, not millions, and the texts are a
sentence or two. Lemmas (pymorphy3, already loaded for search and the tag cloud) make
«скамейки» and «скамейку» one word; stop words and the campaign's filler («предлагаю») are left
out; a short list folds what residents call the same thing by different names («лавочка» is
«скамейка», «велодорожка» is «велосипедная дорожка»). Proposals sharing words are often
different ideas («скамейки у пруда», «почистить пруд»): so the thing asked for (a noun) weighs
more than what to do with it (a verb), and where it is («у входа», «у пруда») least. An
inverted index hands a lookup only the proposals that share a word with the text, so a lookup
costs what the shared words cost, not the whole town. bench/similar.py measures precision,
recall and time; scikit-learn would add a compiled dependency of some 40 MB for the same
arithmetic (its vectorisers would be handed this same lemmatiser).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from storage.morphology import STOP_WORDS, WORD, analyzer, lemma_options

# Lemmas residents use for the same thing in a park or a street, each folded to the first of
# its group. Only what means the same object: «фонарь» and «освещение» are one request, «свет»
# alone is not (it is also daylight).
SYNONYM_GROUPS = (
    "скамейка лавочка лавка скамья",
    "урна мусорка мусорк контейнер",
    "фонарь освещение фонарный светильник осветить освещать",
    "туалет уборная биотуалет",
    "качели качель",
    "дорожка тропинка тропа тротуар",
    "мусор грязь",
    "убрать убирать уборка почистить чистить очистить расчистить вычистить",
    "починить отремонтировать ремонт ремонтировать",
    "установить поставить ставить устанавливать",
    "посадить высадить сажать",
    "дерево деревце",
    "площадка площадочка",
    "собака пёс",
    "каток ледовый",
    "яма выбоина колдобина",
    "фонтан фонтанчик",
    "беседка навес",
    "парковка стоянка",
    "клумба цветник",
    "горка горочка",
    "видеонаблюдение видеокамера камера",
    "интернет wi-fi wifi вай-фай вайфай",
    "кино кинотеатр кинопоказ",
    "забор ограждение ограда огородить",
    "бездомный бродячий",
    "кафе кофейня",
    "алкоголь спиртное распитие",
    "название назвать переименовать",
    "фотозона фотографирование",
    "лодка лодочный",
    "громкоговоритель колонка динамик",
    "теннис теннисный",
    "баскетбол баскетбольный",
    "футбол футбольный",
    "волейбол волейбольный",
    "лыжня лыжный лыжи",
    "велосипед велосипедный",
    "лед ледяной",
    "зима зимний зимой",
    "лето летний летом",
    "пенсионер пожилой",
    "бег беговой пробежка",
)
# Compound words residents write in one piece or in two: the one-piece word as its parts.
COMPOUNDS = {"велодорожка": ("велосипед", "дорожка"), "велопарковка": ("велосипед", "парковка"),
             "велопрокат": ("велосипед", "прокат"), "фотозон": ("фотозона",), "скалодр": ("скалодром",)}
SYNONYMS = {word.replace("ё", "е"): group.split()[0].replace("ё", "е")
            for group in SYNONYM_GROUPS for word in group.split()}


# Where an idea is, rather than what it is: «урны у входа» and «охрана у входа» are two ideas.
PLACES = frozenset("""
парк вход выход аллея сквер пруд школа улица двор микрорайон остановка центр территория место
дорога город район берег стадион площадь сторона край угол дом подъезд вокруг возле около рядом
напротив вдоль среди
""".split())
# How much a word tells what the idea is, by its part of speech: the thing asked for (a noun)
# more than what to do with it («поставить», «починить» are in most proposals).
WEIGHTS = {"NOUN": 1.0, "ADJF": 0.6, "ADJS": 0.6, "PRTF": 0.5, "PRTS": 0.5, "VERB": 0.5, "INFN": 0.5,
           "GRND": 0.5, "ADVB": 0.4, "NUMR": 0.3}
PLACE_WEIGHT = 0.4


@lru_cache(maxsize=100_000)
def _weighted(form: str) -> tuple[tuple[str, float], ...]:
    """A word form's terms and weights: each equally likely lemma (synonyms folded) shares the
    word's weight; a hyphenated compound («воркаут-площадка») counts as its parts."""
    if "-" in form and form not in SYNONYMS:
        return tuple(item for part in form.split("-") if len(part) > 1 for item in _weighted(part))
    if form in SYNONYMS:
        options = [SYNONYMS[form]]
    else:
        options = [SYNONYMS.get(option, option) for option in lemma_options(form)]
    options = [part for option in options for part in COMPOUNDS.get(option, (option,))]
    options = [option for option in dict.fromkeys(options) if len(option) > 1 and option not in STOP_WORDS]
    if not options:
        return ()
    tag = analyzer().parse(form)[0].tag.POS
    weight = WEIGHTS.get(tag, 0.5) / len(options)
    return tuple((option, weight * (PLACE_WEIGHT if option in PLACES else 1.0)) for option in options)


def weighted_terms(text: str) -> dict[str, float]:
    """A text's words that carry its meaning, as lemmas with weights (see ``_weighted``)."""
    found: dict[str, float] = {}
    for form in WORD.findall(text or ""):
        for term, weight in _weighted(form.lower()):
            found[term] = found.get(term, 0.0) + weight
    return found


def terms(text: str) -> list[str]:
    """The words that carry a text's meaning, as lemmas, synonyms folded."""
    return list(weighted_terms(text))


def tf(weight: float) -> float:
    """Sublinear: a word said twice counts more than once, not twice as much."""
    return 1.0 + math.log(weight) if weight > 1.0 else weight


@dataclass(frozen=True)
class Entry:
    """What the index keeps of one proposal: its words and what filters it."""
    id: int
    counts: dict[str, float]  # term → weight
    status: str
    resident_id: int | None


# The weights (idf) and the norms they make are worked out again once the number of proposals
# has moved this share away from the number they were worked out for. Worked out again after
# every new proposal, they cost a pass over every proposal sharing a word with the next lookup
# (a resident's «Отправить» right after another's); a weight from 5 % fewer proposals moves a
# score by far less than the distance between the thresholds.
STALE_SHARE = 0.05


class SimilarityIndex:
    """Proposals' words in memory, with an inverted index; not thread-safe (one event loop)."""

    def __init__(self) -> None:
        self._entries: dict[int, Entry] = {}
        self._postings: dict[str, dict[int, float]] = {}  # word → {proposal: its tf there}
        self._norms: dict[int, float] = {}
        self._idfs: dict[str, float] = {}
        self._weighed_at = 0  # how many proposals the cached weights were worked out for

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, proposal_id: int) -> bool:
        return proposal_id in self._entries

    def put(self, proposal_id: int, text: str, status: str, resident_id: int | None) -> None:
        self.put_entry(Entry(proposal_id, weighted_terms(text), status, resident_id))

    def put_entry(self, entry: Entry) -> None:
        """A proposal whose words are weighed already (as another index holds it)."""
        proposal_id, words, status, resident_id = entry.id, entry.counts, entry.status, entry.resident_id
        old = self._entries.get(proposal_id)
        if old is not None and old.counts == words:
            self._entries[proposal_id] = Entry(proposal_id, old.counts, status, resident_id)  # words unchanged
            return
        self.remove(proposal_id)
        self._entries[proposal_id] = Entry(proposal_id, dict(words), status, resident_id)
        for word, weight in words.items():
            self._postings.setdefault(word, {})[proposal_id] = tf(weight)
        self._changed(proposal_id)

    def remove(self, proposal_id: int) -> None:
        old = self._entries.pop(proposal_id, None)
        if old is None:
            return
        for word in old.counts:
            posting = self._postings.get(word)
            if posting is not None:
                posting.pop(proposal_id, None)
                if not posting:
                    del self._postings[word]
        self._changed(proposal_id)

    def _changed(self, proposal_id: int) -> None:
        """A proposal's own norm goes at once; every weight, once the index has grown or shrunk
        by ``STALE_SHARE`` since they were worked out (at once while it is small)."""
        self._norms.pop(proposal_id, None)
        if abs(len(self._entries) - self._weighed_at) > STALE_SHARE * self._weighed_at:
            self._norms.clear()
            self._idfs.clear()
            self._weighed_at = len(self._entries)

    def clear(self) -> None:
        self._entries.clear()
        self._postings.clear()
        self._norms.clear()
        self._idfs.clear()
        self._weighed_at = 0

    def entry(self, proposal_id: int) -> Entry | None:
        return self._entries.get(proposal_id)

    def ids(self) -> list[int]:
        return list(self._entries)

    def _idf(self, word: str) -> float:
        idf = self._idfs.get(word)
        if idf is None:
            idf = self._idfs[word] = math.log((len(self._entries) + 1) / (len(self._postings.get(word, ())) + 1)) + 1.0
        return idf

    def _vector(self, counts: dict[str, float]) -> dict[str, float]:
        return {word: tf(count) * self._idf(word) for word, count in counts.items()}

    def _norm(self, proposal_id: int) -> float:
        norm = self._norms.get(proposal_id)
        if norm is None:
            vector = self._vector(self._entries[proposal_id].counts)
            norm = self._norms[proposal_id] = math.sqrt(sum(v * v for v in vector.values()))
        return norm

    def similar(self, text: str, *, limit: int, threshold: float,
                keep=lambda entry: True) -> list[tuple[int, float]]:
        """The ``limit`` most similar proposals whose cosine is at least ``threshold`` and for
        which ``keep(entry)`` holds, best first, as (id, score)."""
        return self.similar_to_counts(weighted_terms(text), limit=limit, threshold=threshold, keep=keep)

    def similar_to_counts(self, counts: dict[str, float], *, limit: int, threshold: float,
                          keep=lambda entry: True) -> list[tuple[int, float]]:
        query = self._vector(counts)
        query_norm = math.sqrt(sum(v * v for v in query.values()))
        if not query_norm:
            return []
        dots: dict[int, float] = {}
        for word, weight in query.items():
            factor = weight * self._idf(word)
            for proposal_id, frequency in self._postings.get(word, {}).items():
                dots[proposal_id] = dots.get(proposal_id, 0.0) + factor * frequency
        scored = []
        for proposal_id, dot in dots.items():
            if not keep(self._entries[proposal_id]):  # first: a norm costs a pass over the words
                continue
            score = dot / (query_norm * self._norm(proposal_id))
            if score >= threshold:
                scored.append((proposal_id, min(score, 1.0)))
        scored.sort(key=lambda item: (-item[1], -item[0]))
        return scored[:limit]

    def score(self, text: str, proposal_id: int) -> float:
        """The cosine between a text and one indexed proposal (0 when it is not indexed)."""
        found = self.similar(text, limit=len(self._entries) or 1, threshold=0.0,
                             keep=lambda entry: entry.id == proposal_id)
        return found[0][1] if found else 0.0
