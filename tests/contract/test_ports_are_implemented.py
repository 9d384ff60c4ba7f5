"""Every backend implements every port in full: each method the protocols of storage/ports/
declare exists on what the backend hands out, with the same parameters (names, kinds and
defaults), so that code written against the ports runs on any backend."""
from __future__ import annotations

import inspect
import typing
from typing import Any

from storage.ports import channels, repositories
from tests.contract.conftest import Backend


def declared(protocol: type) -> dict[str, Any]:
    """The protocol's own members and those of the protocols it extends."""
    found: dict[str, Any] = {}
    for klass in reversed(protocol.__mro__):
        if klass is object or klass is typing.Protocol or typing.Generic in (klass,):
            continue
        found |= {name: value for name, value in vars(klass).items() if not name.startswith("_")}
    return found


def parameters(function: Any) -> list[tuple[str, Any, Any]]:
    signature = inspect.signature(function)
    return [(p.name, p.kind, p.default) for p in signature.parameters.values() if p.name != "self"]


def mismatches(protocol: type, implementation: object) -> list[str]:
    wrong = []
    for name, member in declared(protocol).items():
        if not hasattr(implementation, name):
            wrong.append(f"{protocol.__name__}.{name} is missing")
        elif inspect.isfunction(member):
            if parameters(member) != parameters(getattr(implementation, name)):
                wrong.append(f"{protocol.__name__}.{name}{inspect.signature(member)} is implemented as "
                             f"{inspect.signature(getattr(implementation, name))}")
    return wrong


def repository_ports() -> dict[str, type]:
    """Each property of the Repositories bundle and the protocol it promises."""
    return {name: typing.get_type_hints(member.fget)["return"]
            for name, member in declared(repositories.Repositories).items()}


def test_the_bundle_names_every_repository() -> None:
    ports = repository_ports()
    assert {"residents", "inbox", "outbox", "proposals", "polls", "broadcasts", "subscriptions", "content",
            "supports", "moderation", "staff", "privacy"} <= set(ports)
    assert all(getattr(port, "_is_protocol", False) for port in ports.values())


async def test_every_repository_of_a_transaction_and_of_the_reader_keeps_its_port(backend: Backend) -> None:
    wrong = []
    async with backend.db.transaction() as tx:
        for name, port in repository_ports().items():
            wrong += mismatches(port, getattr(tx, name))
            wrong += mismatches(port, getattr(backend.db.reader, name))
    assert not wrong, "\n".join(wrong)


def test_the_database_and_the_channels_storage_keep_their_ports(backend: Backend) -> None:
    wrong = mismatches(repositories.Database, backend.db) + mismatches(channels.ChannelStorage, backend.channels)
    assert not wrong, "\n".join(wrong)
