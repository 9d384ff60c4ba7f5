"""Routing in aiogram's manner: routers per feature, handlers with filters, first match wins.

A filter is a callable on the ``Context`` that returns a falsy value (no match), ``True``, or a
dict whose items become keyword arguments of the handler. Routers are tried in the order
``handlers.get_routers()`` gives, so the whole routing order is read in one place.

Each conversation step also registers a *prompt*: the message that asks for the step's input.
``ctx.goto(step)`` shows it, and the fallback shows it again when input does not fit, so a
resident always sees what is expected now. A step that asks for a photo says so in its prompt
(``router.prompt(STEP, photos=True)``, or a rule on the resident when only some visits to the
step ask for one): the dispatcher stores a resident's photo only at such a step.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Iterable

from bot.config import Settings
from bot.events import Event, Kind
from bot.i18n import Texts
from bot.payloads import Payload, decode
from bot.replies import Button, Media, Reply
from storage.repositories import Repositories
from storage.residents import Resident

Filter = Callable[["Context"], Any]
HandlerFunction = Callable[..., Awaitable[None]]
PromptFunction = Callable[["Context"], Awaitable[None]]
PhotoRule = Callable[[Resident], bool]  # does this resident's current visit to the step ask for a photo?

_KEEP = object()


@dataclass
class Context:
    """What a handler sees and changes while one event is processed (inside one transaction)."""

    event: Event
    resident: Resident
    db: Repositories
    settings: Settings
    texts: Texts
    prompts: dict[str, PromptFunction]
    replies: list[Reply] = field(default_factory=list)
    forgotten: bool = False
    _next_state: Any = _KEEP

    @property
    def language(self) -> str:
        return self.texts.resolve(self.resident.language or self.event.language_hint or self.texts.default)

    @property
    def state(self) -> str:
        return self.resident.state

    @property
    def data(self) -> dict[str, Any]:
        return self.resident.state_data

    @property
    def payload(self) -> Payload | None:
        return decode(self.event.payload) if self.event.kind is Kind.BUTTON else None

    def t(self, key: str, /, **fields: Any) -> str:
        return self.texts.get(self.language, key, **fields)

    def say(self, text: str, buttons: Iterable[Iterable[Button]] = (), *,
            menu: Iterable[Iterable[Button]] = (), media: Iterable[Media] = ()) -> None:
        self.replies.append(Reply(text=text, buttons=tuple(tuple(r) for r in buttons),
                                  menu=tuple(tuple(r) for r in menu), media=tuple(media)))

    def goto(self, state: str, *, clear: bool = False) -> None:
        """Move to ``state`` and show its prompt when the handler is done."""
        if clear:
            self.resident.state_data = {}
        self._next_state = state

    async def show_prompt(self) -> None:
        prompt = self.prompts.get(self.state) or self.prompts[""]
        await prompt(self)

    async def finish(self) -> bool:
        """Apply a pending ``goto``; return True when the state changed."""
        if self._next_state is _KEEP:
            return False
        self.resident.state = self._next_state
        self._next_state = _KEEP
        await self.show_prompt()
        return True


@dataclass(frozen=True)
class Handler:
    filters: tuple[Filter, ...]
    function: HandlerFunction

    def could_match(self, kind: Kind, namespace: str | None) -> bool:
        """False when a filter declares that this kind of event (or payload) never matches."""
        for check in self.filters:
            kinds = getattr(check, "kinds", None)
            if kinds is not None and kind not in kinds:
                return False
            wanted = getattr(check, "namespace", None)
            if wanted is not None and wanted != namespace:
                return False
        return True

    def match(self, ctx: Context) -> dict[str, Any] | None:
        arguments: dict[str, Any] = {}
        for check in self.filters:
            result = check(ctx)
            if not result:
                return None
            if isinstance(result, dict):
                arguments.update(result)
        return arguments


class Router:
    def __init__(self, name: str) -> None:
        self.name = name
        self.handlers: list[Handler] = []
        self.prompts: dict[str, PromptFunction] = {}
        self.photo_steps: dict[str, PhotoRule] = {}
        self._candidates: dict[tuple[Kind, str | None], list[Handler]] = {}
        self._namespaces: set[str] = set()

    def candidates(self, kind: Kind, namespace: str | None) -> list[Handler]:
        """The handlers that could match this kind of event, in registration order."""
        if namespace not in self._namespaces:
            namespace = None  # nothing here names it; and payloads are untrusted, so no cache growth
        key = (kind, namespace)
        if key not in self._candidates:
            self._candidates[key] = [h for h in self.handlers if h.could_match(kind, namespace)]
        return self._candidates[key]

    def on(self, *filters: Filter) -> Callable[[HandlerFunction], HandlerFunction]:
        def register(function: HandlerFunction) -> HandlerFunction:
            self.handlers.append(Handler(filters, function))
            self._namespaces.update(getattr(f, "namespace", None) for f in filters)
            self._namespaces.discard(None)
            self._candidates.clear()
            return function
        return register

    def prompt(self, state: str, *, photos: bool | PhotoRule = False) -> Callable[[PromptFunction], PromptFunction]:
        """Register the prompt of ``state``; ``photos`` declares that the step asks for photos."""
        def register(function: PromptFunction) -> PromptFunction:
            self.prompts[state] = function
            if photos:
                self.photo_steps[state] = photos if callable(photos) else _always
            return function
        return register


def _always(resident: Resident) -> bool:
    return True


async def route(routers: Iterable[Router], ctx: Context) -> bool:
    payload = ctx.payload
    namespace = payload.namespace if payload else None
    for router in routers:
        for handler in router.candidates(ctx.event.kind, namespace):
            arguments = handler.match(ctx)
            if arguments is not None:
                await handler.function(ctx, **arguments)
                return True
    return False
