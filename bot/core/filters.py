"""Filters for ``Router.on``: small predicates on the context, combined by listing them.

Filters that only ever match one kind of event (or one payload namespace) say so in ``kinds``
(and ``namespace``), which lets a router skip handlers that cannot match without calling them.
Consent is not a filter: the routing layer enforces it for every handler (``bot.core.routing``).
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar

from bot.core.events import Kind
from bot.core.payloads import decode
from bot.core.routing import Context


def state_is(*states: str) -> Callable[[Context], bool]:
    wanted = set(states)
    return lambda ctx: ctx.state in wanted


def state_in(prefix: str) -> Callable[[Context], bool]:
    return lambda ctx: ctx.state.startswith(prefix)


Check = TypeVar("Check", bound=Callable[..., Any])


def declares(check: Check, kinds: set[Kind], namespace: str | None = None) -> Check:
    """Mark ``check`` with what it can match; the router reads the marks with ``getattr``."""
    marked: Any = check  # a function given attributes: not a type mypy can describe
    marked.kinds = frozenset(kinds)
    marked.namespace = namespace
    return check


def kind(*kinds: Kind) -> Callable[[Context], bool]:
    wanted = set(kinds)
    return declares(lambda ctx: ctx.event.kind in wanted, wanted)


def command(*names: str) -> Callable[[Context], dict[str, Any] | bool]:
    wanted = set(names)

    def check(ctx: Context) -> dict[str, Any] | bool:
        if ctx.event.kind is Kind.COMMAND and ctx.event.command in wanted:
            return {"argument": ctx.event.argument}
        return False
    marked: Any = check
    marked.commands = frozenset(wanted)  # what the bot understands, for tests and help texts
    return declares(check, {Kind.COMMAND})


def button(namespace: str, *first_args: str) -> Callable[[Context], dict[str, Any] | bool]:
    """Match a button press by payload namespace (and optionally its leading arguments)."""
    def check(ctx: Context) -> dict[str, Any] | bool:
        if ctx.event.kind is not Kind.BUTTON:
            return False
        payload = decode(ctx.event.payload)
        if payload is None or payload.namespace != namespace:
            return False
        if payload.args[: len(first_args)] != first_args:
            return False
        return {"payload": payload}
    return declares(check, {Kind.BUTTON}, namespace)
