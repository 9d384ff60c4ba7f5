"""One pymorphy3 analyzer for the whole process, loaded on first use: its Russian dictionaries
take some 22 MB, so the tag cloud, the search index, similar proposals and the redaction of
erased authors' names share it."""
from __future__ import annotations

import re
import threading
from functools import lru_cache

_loading = threading.Lock()
_analyzer = None


def analyzer():
    """Built once under a lock: the search index's triggers lemmatise in the database's thread
    while the event loop's thread may do so too, and two analyzers built at once by two threads
    fail (pymorphy2/pymorphy2#37)."""
    global _analyzer
    if _analyzer is None:
        with _loading:
            if _analyzer is None:
                import pymorphy3

                _analyzer = pymorphy3.MorphAnalyzer()
    return _analyzer


WORD = re.compile(r"[а-яёa-z0-9]+(?:-[а-яёa-z]+)?", re.IGNORECASE)
# Russian function words and the campaign's filler: they make two texts look alike without
# saying the same thing. Lemmas, «е» for «ё».
STOP_WORDS = frozenset("""
и в во не что он на я с со как а то все всё она так его но да ты к у же вы за бы по только ее её
мне было вот от меня еще ещё нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был
него до вас нибыть опять уж вам ведь там потом себя ничто ей может они тут где есть надо ней для
мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж тогда кто этот того потому
этого какой совсем ним здесь этом один почти мой тем чтобы нее сейчас были куда зачем всех
никогда можно при наконец два об другой хоть после над больше тот через эти нас про всего них
какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой
им более всегда конечно всю между весь это свой который мочь хотеть сделать делать нужный очень
самый наш ваш также например просто год человек предлагать предложение предлагаю идея хотеться
стать нужно необходимо пожалуйста город
""".replace("ё", "е").split())


@lru_cache(maxsize=100_000)
def lemma_options(form: str) -> tuple[str, ...]:
    """The lemmas of a form's equally likely parses, most likely first, lower-case, «е» for «ё».

    pymorphy3 cannot tell «парке» (парк) from «парке» (парка, a coat) on its own; a search
    index that stores every option, and a query that asks for any, finds «парк» either way."""
    parses = analyzer().parse(form)
    if not parses:
        return (form.lower().replace("ё", "е"),)
    best = parses[0].score
    options: list[str] = []
    for parse in parses:
        if parse.score < best * 0.5:
            break
        item = parse.normal_form.lower().replace("ё", "е")
        if item not in options:
            options.append(item)
    return tuple(options)

