"""The steps where the main menu's buttons work: the menu itself, and the wait for a correction
that the panel put an idle author into. The author did not choose that wait, so it must not hold
them: a menu button leaves it (the question stays open, its «✏️ Исправить» button still works)."""
from __future__ import annotations

from bot.core.filters import state_is
from storage.ports.moderation import CORRECTION_STATE

CORRECTION_WAIT = CORRECTION_STATE

at_menu = state_is("", CORRECTION_WAIT)
