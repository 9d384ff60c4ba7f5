"""Residents' names, which VK events do not carry: ``users.get``, many residents a call.

Telegram, MAX, OK and WhatsApp put the sender's name on every update; VK gives only an id. So
before a batch of updates is stored, the names of its senders are looked up and put on their
events (``Event.display_name``), and VK residents are named like everyone else: the name is
written to the profile only by the consent step (``record_consent``), erased with it by
``/forget``, and an event's stored payload is dropped once it is processed. Nothing personal is
kept before consent: between the look-up and consent the name lives in memory only, here, for
at most ``vk.name_cache_seconds`` and for at most ``vk.name_cache_size`` residents, so that a
resident writing ten messages costs one look-up, not ten.

One ``users.get`` names every sender of a batch not in memory (up to 1,000 ids a call); it
travels in the same ``execute`` as the replies waiting then, so it costs no request of its own
under load. A look-up that fails leaves the names empty («житель» in texts) and is tried again
at the resident's next message; it is never retried in place, since it would hold up storing the
batch. A deleted or banned page has no name.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable

from cachetools import TTLCache

from bot.core.channel import DeliveryError
from channels.vk.settings import VkSettings
from channels.vk.transport import VkClient

log = logging.getLogger(__name__)

IDS_PER_CALL = 1000  # users.get takes at most 1,000 user_ids
NAME_LENGTH = 128    # as long as other channels' display names may be


class Names:
    def __init__(self, client: VkClient, settings: VkSettings) -> None:
        self.client = client
        self.known: TTLCache[str, str] = TTLCache(maxsize=settings.name_cache_size,
                                                   ttl=settings.name_cache_seconds)

    async def of(self, user_ids: Iterable[str]) -> dict[str, str]:
        """The name of each of ``user_ids`` ("" when unknown), asking VK for those not in memory."""
        wanted = list(dict.fromkeys(user_ids))
        missing = [user for user in wanted if user not in self.known]
        for start in range(0, len(missing), IDS_PER_CALL):
            chunk = missing[start:start + IDS_PER_CALL]
            try:
                users = await self.client.call_once("users.get", user_ids=",".join(chunk))
            except DeliveryError as error:
                log.warning("ВК: имена жителей (%d) не получены: %s", len(chunk), error)
                continue
            for user in users if isinstance(users, list) else []:
                if isinstance(user, dict) and isinstance(user.get("id"), int):
                    self.known[str(user["id"])] = display_name(user)
        return {user: self.known.get(user, "") for user in wanted}


def display_name(user: dict[str, Any]) -> str:
    """"First Last" of a ``users.get`` item; "" for a deleted or banned page."""
    if user.get("deactivated"):
        return ""
    parts = [user.get(key) for key in ("first_name", "last_name")]
    return " ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())[:NAME_LENGTH]
