"""Published poll results and aired episodes as the page shows them, in one language: titles
from the content file's definitions (a missing language falls back to the default's)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage.ports.public import AiredEpisode, MapPoll, PublishedContest, PublishedPoll
from storage.statuses import PollKind

RANKED = (PollKind.SCORES, PollKind.TOP3)  # ordered by points (a sum of scores, Borda points), not ballots


def titled(title: Any, language: str, default: str) -> str:
    if isinstance(title, dict):
        return str(title.get(language) or title.get(default) or next(iter(title.values()), ""))
    return str(title or "")


@dataclass(frozen=True)
class OptionResult:
    title: str
    value: int       # ballots naming it, or its points in a ranked poll
    percent: int     # of the ballots (of all points in a ranked poll)


@dataclass(frozen=True)
class PollResult:
    title: str
    voters: int
    ranked: bool
    options: list[OptionResult]


@dataclass(frozen=True)
class Zone:
    number: int           # as the messengers' picture and buttons number it
    title: str
    geometry: dict[str, Any]
    votes: int | None     # once the results are announced
    percent: int | None


@dataclass(frozen=True)
class ZonePoll:
    title: str
    announced: bool
    zones: list[Zone]


@dataclass(frozen=True)
class WorkResult:
    place: int
    number: int      # the work's number, as its author and voters know it («Работа №12»)
    age: str         # the age group's title
    votes: int


@dataclass(frozen=True)
class ContestResult:
    title: str
    categories: list[tuple[str, list[WorkResult]]]   # (category title, its works, most votes first)


@dataclass(frozen=True)
class Series:
    title: str
    episodes: list[dict[str, Any]]  # number, title, description, video_url, aired (the town's date)


def poll_result(poll: PublishedPoll, language: str, default: str) -> PollResult:
    definition = json.loads(poll.definition)
    ranked = definition.get("kind") in RANKED
    values = poll.tally.points if ranked else poll.tally.counts
    whole = sum(values.values()) if ranked else poll.tally.voters
    options = [OptionResult(titled(option.get("title"), language, default), values.get(option["key"], 0) or 0,
                            round(100 * (values.get(option["key"], 0) or 0) / whole) if whole else 0)
               for option in definition.get("options", [])]
    options.sort(key=lambda option: -option.value)
    return PollResult(titled(definition.get("title"), language, default), poll.tally.voters, ranked, options)


def zone_poll(poll: MapPoll, language: str, default: str) -> ZonePoll:
    """A poll's places in the options' order, numbered from 1 as the bot numbers them; the votes
    only once its results were announced (while it runs, the page does not sway the vote)."""
    definition = json.loads(poll.definition)
    voters = poll.tally.voters
    zones = []
    for number, option in enumerate((o for o in definition.get("options", []) if o.get("geometry")), 1):
        votes = poll.tally.counts.get(option["key"], 0) if poll.announced else None
        zones.append(Zone(number, titled(option.get("title"), language, default), option["geometry"], votes,
                          round(100 * votes / voters) if votes is not None and voters else
                          (0 if votes is not None else None)))
    return ZonePoll(titled(definition.get("title"), language, default), poll.announced, zones)


def contest_result(contest: PublishedContest, language: str, default: str) -> ContestResult:
    """Per category of the contest, its approved works by votes: numbers and age groups only."""
    definition = json.loads(contest.definition)
    ages = {age["key"]: titled(age.get("title"), language, default) for age in definition.get("age_groups", [])}
    categories = []
    for category in definition.get("categories", []):
        ranked = [standing for standing in contest.standings if standing.entry.category == category["key"]]
        categories.append((titled(category.get("title"), language, default),
                           [WorkResult(place, s.entry.id, ages.get(s.entry.age_group, s.entry.age_group), s.votes)
                            for place, s in enumerate(ranked, 1)]))
    return ContestResult(titled(definition.get("title"), language, default), categories)


def series(episodes: list[AiredEpisode], language: str, default: str, date) -> list[Series]:
    """The aired episodes by series, in the order storage gives them; ``date`` shows a stamp."""
    found: dict[str, Series] = {}
    for episode in episodes:
        series_definition = json.loads(episode.series_definition)
        key = str(series_definition.get("key", ""))
        if key not in found:
            found[key] = Series(titled(series_definition.get("title"), language, default), [])
        definition = json.loads(episode.definition)
        found[key].episodes.append({
            "number": episode.number, "title": titled(definition.get("title"), language, default),
            "description": titled(definition.get("description"), language, default),
            "video_url": definition.get("video_url", ""), "aired": date(episode.air_at)})
    return list(found.values())
