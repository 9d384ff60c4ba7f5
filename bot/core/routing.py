"""Routing in aiogram's manner: routers per feature, handlers with filters, first match wins.

A filter is a callable on the ``Context`` that returns a falsy value (no match), ``True``, or a
dict whose items become keyword arguments of the handler. Routers are tried in the order
``handlers.get_routers()`` gives, so the whole routing order is read in one place.

Each conversation step also registers a *prompt*: the message that asks for the step's input.
``ctx.goto(step)`` shows it, and the fallback shows it again when input does not fit, so a
resident always sees what is expected now. A step that asks for a photo says so in its prompt
(``router.prompt(STEP, photos=True)``, or a rule on the resident when only some visits to the
step ask for one): the dispatcher stores a resident's photo only at such a step.

Consent is enforced here, once, for every router (152-FZ: nothing personal is stored before
it). A handler and a step's prompt need the resident's consent unless their router, or the
handler or prompt itself, is declared ``open_before_consent``. When a resident without consent
meets a handler or a step that needs it, the one *consent gate* (registered by one router with
``@router.consent_gate``) runs instead: the handler never does. Payloads are forged easily, so
this is the only rule that holds whatever a client sends.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Iterable, Mapping, Sequence

from bot.core.channel import Capabilities
from bot.core.events import Event, Kind
from bot.core.i18n import Texts
from bot.core.payloads import Payload, decode
from bot.core.replies import Button, Media, Reply
from storage.ports.repositories import Repositories
from storage.ports.residents import Resident

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
    settings: Any  # the application's settings (bot.config.Settings): features read their own sections
    texts: Texts
    prompts: dict[str, PromptFunction]
    # What the resident's client can show and do (None when their channel is not running): a
    # step can offer another way to what the client cannot ask for.
    capabilities: Capabilities | None = None
    replies: list[Reply] = field(default_factory=list)
    forgotten: bool = False
    erased_files: tuple[str, ...] = ()  # files to delete once the transaction is committed
    # The running channels' capabilities by name: what the resident's channel (or another) can do.
    channels: Mapping[str, Capabilities] = field(default_factory=dict)
    committed_jobs: list[tuple[str, Any]] = field(default_factory=list)  # see ``after_commit``
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
        self.replies.append(Reply(text=text, buttons=_rows(buttons), menu=_rows(menu), media=tuple(media)))

    def after_commit(self, job: str, argument: Any) -> None:
        """Run the dispatcher's job ``job`` with ``argument`` once this event's transaction is
        committed, and never if it is rolled back: for what leaves the bot and cannot be taken
        back (an SMS). What must survive a crash, the handler writes in the transaction too."""
        self.committed_jobs.append((job, argument))

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


def _rows(rows: Iterable[Iterable[Button]]) -> tuple[tuple[Button, ...], ...]:
    """Rows as tuples; a keyboard built once (the main menu) stays the same object, which lets
    what is worked out about it be remembered (``bot.core.keyboard_memory``)."""
    if isinstance(rows, tuple) and all(isinstance(row, tuple) for row in rows):
        return rows
    return tuple(tuple(row) for row in rows)


@dataclass(frozen=True)
class Handler:
    filters: tuple[Filter, ...]
    function: HandlerFunction
    needs_consent: bool = True

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
    def __init__(self, name: str, *, open_before_consent: bool = False) -> None:
        """``open_before_consent``: every handler and step here works for a resident without
        consent (commands, privacy, onboarding, the fallback). Leave it off for anything that
        stores what a resident sends: off is the safe default."""
        self.name = name
        self.open_before_consent = open_before_consent
        self.handlers: list[Handler] = []
        self.prompts: dict[str, PromptFunction] = {}
        self.open_steps: set[str] = set()
        self.gate: PromptFunction | None = None
        self.photo_steps: dict[str, PhotoRule] = {}
        self._candidates: dict[tuple[Kind, str | None], list[Handler]] = {}
        self._namespaces: set[str] = set()

    @property
    def namespaces(self) -> frozenset[str]:
        """The payload namespaces this router's button filters name."""
        return frozenset(self._namespaces)

    def candidates(self, kind: Kind, namespace: str | None) -> list[Handler]:
        """The handlers that could match this kind of event, in registration order."""
        if namespace not in self._namespaces:
            namespace = None  # nothing here names it; and payloads are untrusted, so no cache growth
        key = (kind, namespace)
        if key not in self._candidates:
            self._candidates[key] = [h for h in self.handlers if h.could_match(kind, namespace)]
        return self._candidates[key]

    def on(self, *filters: Filter,
           open_before_consent: bool | None = None) -> Callable[[HandlerFunction], HandlerFunction]:
        """Register a handler; it needs consent unless it or its router is declared open."""
        is_open = self.open_before_consent if open_before_consent is None else open_before_consent

        def register(function: HandlerFunction) -> HandlerFunction:
            self.handlers.append(Handler(filters, function, needs_consent=not is_open))
            self._namespaces.update(n for n in (getattr(f, "namespace", None) for f in filters) if n is not None)
            self._candidates.clear()
            return function
        return register

    def prompt(self, state: str, *, open_before_consent: bool | None = None,
               photos: bool | PhotoRule = False) -> Callable[[PromptFunction], PromptFunction]:
        """Register the prompt of ``state``; the step needs consent unless declared open, and
        ``photos`` declares that the step asks for photos."""
        def register(function: PromptFunction) -> PromptFunction:
            self.prompts[state] = function
            if self.open_before_consent if open_before_consent is None else open_before_consent:
                self.open_steps.add(state)
            if photos:
                self.photo_steps[state] = photos if callable(photos) else _always
            return function
        return register

    def consent_gate(self, function: PromptFunction) -> PromptFunction:
        """Register what a resident without consent gets instead of a handler or a step that
        needs consent. It must leave the resident at a step that is open before consent."""
        self.gate = function
        return function


def consent_gate_of(routers: Iterable[Router]) -> PromptFunction:
    gates = [router.gate for router in routers if router.gate is not None]
    if len(gates) != 1:
        raise ValueError(f"exactly one router must register the consent gate, not {len(gates)}")
    return gates[0]


def steps_needing_consent(routers: Iterable[Router]) -> set[str]:
    return {state for router in routers for state in router.prompts if state not in router.open_steps}


def prompts_of(routers: Iterable[Router]) -> dict[str, PromptFunction]:
    """Every step's prompt; a step that needs consent shows the consent gate to a resident
    without it (a step an open handler leads to, or a state stored earlier), so nobody without
    consent ever stays in such a step."""
    routers = tuple(routers)
    gate = consent_gate_of(routers)
    prompts: dict[str, PromptFunction] = {}
    for router in routers:
        for state, prompt in router.prompts.items():
            prompts[state] = prompt if state in router.open_steps else _behind_gate(prompt, gate)
    if "" not in prompts:
        raise ValueError("one router must register the prompt of the empty state (the main menu)")
    if "" in steps_needing_consent(routers):
        raise ValueError("the main menu must be open before consent: the consent gate leads back to it")
    return prompts


def _behind_gate(prompt: PromptFunction, gate: PromptFunction) -> PromptFunction:
    async def show(ctx: Context) -> None:
        await (prompt if ctx.resident.has_consent else gate)(ctx)
    return show


def _always(resident: Resident) -> bool:
    return True


async def route(routers: Sequence[Router], ctx: Context) -> bool:
    """Run the first handler that matches, or the consent gate in its place when the handler
    needs a consent the resident has not given. False when nothing matched."""
    payload = ctx.payload
    namespace = payload.namespace if payload else None
    for router in routers:
        for handler in router.candidates(ctx.event.kind, namespace):
            arguments = handler.match(ctx)
            if arguments is None:
                continue
            if handler.needs_consent and not ctx.resident.has_consent:
                await consent_gate_of(routers)(ctx)
            else:
                await handler.function(ctx, **arguments)
            return True
    return False
