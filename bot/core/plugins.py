"""How a channel and a feature make themselves known to the application: the registrations.

The core defines the shapes; each channel package and each feature module fills one in, and
the application (``bot/config.py``, ``bot/content.py``, ``bot/app.py``, ``bot/cli.py``)
iterates over what is registered instead of naming each part. A channel's class is named by
import path, so that a platform's library is imported only when its channel is enabled.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from pydantic import BaseModel

if TYPE_CHECKING:
    import argparse

    from bot.core.channel import Channel
    from storage.ports.repositories import Database


@dataclass(frozen=True)
class ChannelPackage:
    """One channel: its name (the section in config.yaml, ``SOUCHASTIE_<NAME>_…``, the name on
    its events), its section of the settings, and where its ``Channel`` class is."""

    name: str
    settings: type[BaseModel]
    channel: str                          # "channels.vk.channel:VkChannel"
    file_settings: tuple[str, ...] = ()   # keys naming a file: a relative one is beside config.yaml

    def channel_class(self) -> type[Channel]:
        module_name, _, class_name = self.channel.partition(":")
        found: type[Channel] = getattr(importlib.import_module(module_name), class_name)
        return found

    def enabled(self, settings: Any) -> bool:
        """Switched on, or given a token (a token alone turns a messenger on)."""
        section = getattr(settings, self.name)
        return bool(getattr(section, "enabled", False)) or getattr(section, "token", None) is not None

    def build(self, settings: Any, *pieces: Any) -> Channel:
        """The channel, from the settings and the pieces the application hands every channel."""
        factory: Callable[..., Channel] = self.channel_class()
        return factory(settings, *pieces)


@dataclass(frozen=True)
class ContentSection:
    """One top-level key of the content file (``polls:``), the model of its items, and how an
    item is stored: as a row of ``content_items`` (``item``) or as a series (``series``)."""

    key: str
    model: type[BaseModel]
    what: str                              # one item, in the duplicate-key message: "poll"
    words: tuple[str, str, str]            # counted for staff: голосование, голосования, голосований
    item: Callable[[Any], Any] | None = None     # model → storage.ports.content.StoredItem
    series: Callable[[Any], Any] | None = None   # model → storage.episodes.StoredSeries


@dataclass(frozen=True)
class Job:
    """Work on a clock: ``every(settings)`` seconds, ``build(running)`` gives the coroutine
    function to run (``running`` is the started application: settings, db, dispatcher, texts,
    scheduler, broadcasts)."""

    name: str
    every: Callable[[Any], float]
    build: Callable[[Any], Callable[[], Awaitable[object]]]


# How a command reaches storage: the application opens the database it is configured with and
# hands over its port, so that a feature's command never names a storage implementation.
OpenDatabase = Callable[[], Awaitable["Database"]]


@dataclass(frozen=True)
class Command:
    """A ``python -m bot <name>`` command: its options and what it does (an exit code)."""

    name: str
    add_parser: Callable[[Any], None]                      # given argparse's subparsers
    run: Callable[[Any, argparse.Namespace, OpenDatabase], int]  # settings, arguments, storage → exit code


@dataclass(frozen=True)
class Feature:
    """What one feature adds besides its router: content, jobs, commands."""

    name: str
    content: tuple[ContentSection, ...] = ()
    jobs: tuple[Job, ...] = ()
    commands: tuple[Command, ...] = ()
