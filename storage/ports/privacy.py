"""Forgetting a resident, and the authors and phones staff entered."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from storage.ports.residents import Resident

PROFILE = ["display_name", "language", "phone", "consent", "source", "conversation"]


class ErasureMode(StrEnum):
    KEEP = "keep"    # proposals, answers and works stay without the author (the default)
    ERASE = "erase"  # their texts and photos are erased too


@dataclass(frozen=True)
class Erasure:
    mode: ErasureMode
    deleted_subscriptions: int
    deleted_messages: int
    anonymised_proposals: int
    erased_proposals: int
    erased_survey_answers: int
    erased_contest_entries: int
    hidden_names_and_phones: int
    files: tuple[str, ...]  # files nothing names any more: to be deleted once this is committed


class PrivacyStore(Protocol):
    """What Privacy offers (storage/privacy.py is the SQLite one)."""

    async def forget(self, resident: Resident, mode: ErasureMode = ErasureMode.KEEP) -> Erasure:
        """Erase the profile and everything tied to it (see the module's docstring)."""

    async def forget_entry_author(self, proposal_id: int) -> int:
        """The author of an operator-entered proposal asked to be erased: with a number, from every
        proposal entered for that number (``forget_phone``); without, from this one. How many."""

    async def forget_phone(self, phone: str) -> int:
        """Erase the author's name, contact, number and consent from every proposal an operator
        entered for the person with this number (E.164); the proposals stay, without an author.
        Returns how many proposals named them."""
