"""Every channel has one shape (issue 14, point 3), so a reader who knows one adapter knows all.

Each ``channels/<platform>/`` package has the same four modules with the same entry points:
``parse.parse`` (a platform update or body as our events), ``render.render(reply, …)`` (a reply
as the platform's message payloads), ``transport.classify(error) -> Failure`` (what a failed
platform call means, beside the platform's client) and ``inbound.receive(core, …)`` (how what
arrives is handed to the core). ``channel.py`` composes them. The core fits every reply to the
channel's limits before the adapter sees it, so no adapter fits one itself; and a channel hands
the core its events with one call (``submit``; the web chat, answering in the same request,
``handle``).
"""
from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.core.channel import Capabilities, Channel, Inbound, Outgoing
from bot.core.delivery_errors import Failure
from bot.core.events import ResidentRef
from bot.core.replies import Button, Reply

if TYPE_CHECKING:
    from bot.core.channel import Fitted

CHANNELS_DIR = Path(__file__).resolve().parent.parent / "channels"
CHANNELS = sorted(p.name for p in CHANNELS_DIR.iterdir() if (p / "channel.py").is_file())
ENTRY_POINTS = {"parse": "parse", "render": "render", "transport": "classify", "inbound": "receive"}


def entry_point(channel: str, module: str):
    loaded = importlib.import_module(f"channels.{channel}.{module}")
    function = getattr(loaded, ENTRY_POINTS[module], None)
    assert callable(function), f"channels/{channel}/{module}.py has no {ENTRY_POINTS[module]}()"
    assert function.__module__ == loaded.__name__, f"{channel}.{module}.{ENTRY_POINTS[module]} is borrowed"
    return function


def first_parameter(function) -> str:
    return next(iter(inspect.signature(function).parameters))


def test_all_seven_channels_are_looked_at():
    assert CHANNELS == ["gateway", "max", "ok", "telegram", "vk", "webchat", "whatsapp"]


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_channel_has_the_four_modules_with_the_same_entry_points(channel):
    for module in ENTRY_POINTS:
        assert (CHANNELS_DIR / channel / f"{module}.py").is_file(), f"channels/{channel}/{module}.py is missing"
        entry_point(channel, module)
    # parse takes what arrived; render the reply first; receive the core first
    assert first_parameter(entry_point(channel, "parse")) in ("update", "body", "data")
    assert first_parameter(entry_point(channel, "render")) == "reply"
    receive = entry_point(channel, "inbound")
    assert inspect.iscoroutinefunction(receive) and first_parameter(receive) == "core"


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_transport_classifies_any_failure_in_the_shared_terms(channel):
    classify = entry_point(channel, "transport")
    assert list(inspect.signature(classify).parameters) == ["error"]
    assert isinstance(classify(RuntimeError("something no one foresaw")), Failure)
    assert isinstance(classify(TimeoutError()), Failure)


def imported_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "bot.core.rendering":
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("channel", CHANNELS)
def test_no_adapter_fits_a_reply_itself(channel):
    fitting = {path.name: imported_names(path) & {"fit", "usable"}
               for path in sorted((CHANNELS_DIR / channel).glob("*.py"))}
    assert not any(fitting.values()), fitting


def test_a_channel_hands_the_core_its_events_with_one_call():
    protocol = {name for name in vars(Inbound) if not name.startswith("_")}
    assert "submit" in protocol and "handle" in protocol
    assert not protocol & {"accept", "accept_many", "process_in_background"}


class Recorded(Channel):
    """A channel with small limits that keeps what the core hands it."""

    name = "recorded"
    capabilities = Capabilities(max_text_length=20, max_buttons_per_row=2, max_button_rows=2)

    def __init__(self) -> None:
        self.delivered: list[Fitted] = []
        self.broadcast: list[Fitted] = []

    async def start(self, core) -> None: ...

    async def stop(self) -> None: ...

    async def deliver_fitted(self, ref: ResidentRef, messages: list[Fitted]) -> None:
        self.delivered.extend(messages)

    async def send_fitted_once(self, refs, reply: Fitted, key: str):
        self.broadcast.append(reply)
        return {}


async def test_the_core_fits_a_reply_once_before_the_adapter_sees_it():
    channel = Recorded()
    ref = ResidentRef(channel="recorded", external_id="1")
    reply = Reply(text="Очень длинный ответ, длиннее двадцати знаков.",
                  buttons=((Button(label="Один", payload="p:1"), Button(label="Два", payload="p:2"),
                            Button(label="Три", payload="p:3")),))
    await channel.deliver(ref, [Outgoing(7, reply)])
    await channel.send_once([ref], reply, "b1")
    for fitted in (channel.delivered[0], channel.broadcast[0]):
        assert fitted.reply == reply and len(fitted.parts) > 1
        assert all(len(part.text) <= 20 for part in fitted.parts)
        assert [len(row) for row in fitted.parts[-1].buttons] == [2, 1]
    assert channel.delivered[0].id == 7
