"""Residents and their conversation state."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from storage import json_text


@dataclass
class Resident:
    id: int
    channel: str
    external_id: str
    display_name: str = ""
    language: str = ""
    phone: str = ""
    phone_verified: bool = False
    consent_version: str | None = None
    consent_at: str | None = None
    consent_declined_at: str | None = None
    first_source: str | None = None
    reachable: bool = True
    state: str = ""
    state_data: dict[str, Any] = field(default_factory=dict)
    keyboard: dict[str, Any] = field(default_factory=dict)  # what bot.core.keyboard_memory keeps
    created_at: str = ""
    # Whether a proposal of theirs waits for a corrected text, read with the resident when the
    # batch worker loads them (None: not read, ask ``moderation.open_questions_of``). Saves a
    # query on every text at a step that takes text, where the answer is nearly always no.
    awaits_correction: bool | None = field(default=None, compare=False)

    @property
    def has_consent(self) -> bool:
        return self.consent_at is not None

    @classmethod
    def from_row(cls, row: Any) -> "Resident":
        values = dict(row)
        values["state_data"] = json_text.loads(values["state_data"] or "{}")
        values["keyboard"] = json_text.loads(values.get("keyboard") or "{}")
        values["phone_verified"] = bool(values["phone_verified"])
        values["reachable"] = bool(values["reachable"])
        if values.get("awaits_correction") is not None:
            values["awaits_correction"] = bool(values["awaits_correction"])
        return cls(**values)


class ResidentStore(Protocol):
    """What Residents offers (storage/residents.py is the SQLite one)."""

    async def find(self, channel: str, external_id: str) -> Resident | None: ...

    async def get(self, resident_id: int) -> Resident | None: ...

    async def get_or_create(self, channel: str, external_id: str) -> Resident: ...

    async def get_or_create_many(self, refs: list[tuple[str, str]]) -> dict[tuple[str, str], Resident]:
        """Residents for several (channel, external id) at once, creating the missing ones,
        with ``awaits_correction`` read."""

    async def save_states(self, residents: list[Resident]) -> None: ...

    async def set_keyboard(self, resident_id: int, keyboard: dict[str, Any]) -> None: ...

    async def set_language(self, resident_id: int, language: str) -> None: ...

    async def record_consent(self, resident_id: int, version: str, display_name: str) -> str:
        """Record consent to the given text version; return the moment recorded."""

    async def record_decline(self, resident_id: int) -> None: ...

    async def set_first_source(self, resident_id: int, source: str) -> bool: ...

    async def set_reachable(self, resident_id: int, reachable: bool) -> None: ...

    async def set_phone(self, resident_id: int, phone: str, verified: bool) -> None: ...

    async def delete(self, resident_id: int) -> None: ...
