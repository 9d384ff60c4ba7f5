"""What the core reads from the application's settings, as protocols.

The settings themselves (``bot/config.py``) are assembled by the application from the sections
that the channels and features register; the core only names the few values it uses, so it does
not import them.
"""
from __future__ import annotations

from typing import Protocol


class InboxSettings(Protocol):
    @property
    def retry_older_than_seconds(self) -> float: ...
    @property
    def max_attempts(self) -> int: ...


class PrivacySettings(Protocol):
    @property
    def confirmation_keep_minutes(self) -> float: ...


class ProposalSettings(Protocol):
    @property
    def max_photos(self) -> int: ...


class CoreSettings(Protocol):
    """The values the dispatcher reads; ``bot.config.Settings`` has them all."""

    @property
    def inbox(self) -> InboxSettings: ...
    @property
    def privacy(self) -> PrivacySettings: ...
    @property
    def proposals(self) -> ProposalSettings: ...
