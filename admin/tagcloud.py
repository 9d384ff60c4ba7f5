"""The tag cloud of what residents write: Russian words brought to their dictionary form with
pymorphy3, function words and the campaign's filler words left out.

Why a corpus-level choice of lemma: pymorphy3 often cannot tell forms apart on their own («парке»
is as likely the locative of «парк» as the dative of «парка», a coat), and picks the first. Here
each form keeps all its equally likely lemmas, and the lemma that most forms across all the texts
agree on wins — «парк», «парка», «парку», «парке» all become «парк».
"""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Iterable

from markupsafe import Markup, escape

from storage.morphology import analyzer

WORD = re.compile(r"[а-яёa-z]+(?:-[а-яёa-z]+)?", re.IGNORECASE)
# Parts of speech that carry no opinion: prepositions, conjunctions, particles, interjections,
# pronouns, predicatives («нужно», «можно»), numerals, adverbs of degree and the like.
SKIP_POS = {"PREP", "CONJ", "PRCL", "INTJ", "NPRO", "PRED", "NUMR", "ADVB", "COMP"}
STOP_WORDS = frozenset("""
быть весь всё это этот тот такой свой который какой один мочь хотеть сделать делать нужный
очень самый другой наш ваш её его их ещё уже также чтобы например просто год раз человек
предлагать предложение предлагаю идея хотеться стать есть нет да
""".split())
MIN_LENGTH = 3


def count_forms(texts: Iterable[str], forms: Counter | None = None) -> Counter:
    """Lower-cased word forms and how often each occurs (call again to add more texts)."""
    forms = Counter() if forms is None else forms
    for text in texts:
        forms.update(word.lower().replace("ё", "е") for word in WORD.findall(text))
    return forms


def _candidates(form: str) -> list[str]:
    """The lemmas of a form's most likely parses; [] when the form carries no opinion."""
    parses = analyzer().parse(form)
    if not parses:
        return []
    best = parses[0].score
    tied = [p for p in parses if p.score >= best * 0.9]
    if any(p.tag.POS in SKIP_POS for p in tied[:1]):
        return []
    lemmas = []
    for parse in tied:
        lemma = parse.normal_form.replace("ё", "е")
        if lemma not in lemmas and parse.tag.POS not in SKIP_POS:
            lemmas.append(lemma)
    return lemmas


def lemmas(forms: Counter) -> Counter:
    """Word forms counted by lemma, stop-words and very short words removed."""
    candidates = {form: _candidates(form) for form in forms if len(form) >= MIN_LENGTH}
    support: Counter = Counter()
    for form, options in candidates.items():
        for lemma in options:
            support[lemma] += forms[form]
    counted: Counter = Counter()
    for form, options in candidates.items():
        if not options:
            continue
        lemma = max(options, key=lambda item: (support[item], -options.index(item)))
        if lemma not in STOP_WORDS and len(lemma) >= MIN_LENGTH:
            counted[lemma] += forms[form]
    return counted


def top_words(texts: Iterable[str], limit: int = 60) -> list[tuple[str, int]]:
    return lemmas(count_forms(texts)).most_common(limit)


def cloud_html(words: list[tuple[str, int]]) -> Markup:
    """Words sized by the logarithm of their count (so one loud word does not hide the rest),
    in alphabetical order, as plain HTML spans with the count in the title."""
    if not words:
        return Markup('<p class="muted">Пока нет слов.</p>')
    top, low = max(c for _, c in words), min(c for _, c in words)
    spread = math.log(top) - math.log(low) or 1
    spans = []
    for word, count in sorted(words):
        size = 0.9 + 1.8 * (math.log(count) - math.log(low)) / spread
        spans.append(f'<span class="tag" style="font-size:{size:.2f}em" title="{count}">{escape(word)}</span>')
    return Markup('<p class="cloud">' + " ".join(spans) + "</p>")
