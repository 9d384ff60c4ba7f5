"""Broadcast sends to VK: one ``messages.send`` with ``peer_ids`` reaches up to 100 residents.

One attempt per call: the broadcast sender paces calls to ``vk.requests_per_second`` and decides
about retries. The call is one request of the channel's client (``VkClient.request``), so it also
takes a slot of the pace the whole token shares with the residents' replies; its answer is read
here.

``random_id`` is derived from the broadcast's delivery key, so a call repeated after a time-out
carries the same one and VK drops the repeat (VK checks it per dialogue, over the last hour).
That makes an unknown outcome safe to retry: the channel declares ``idempotent=True``.

The answer to ``peer_ids`` is a list with one item per peer: ``{peer_id, message_id,
conversation_message_id}`` or ``{peer_id, error: {code, description}}`` (VK API schema
``messages_send_user_ids_response_item``). Failures are reported per resident.

Writing after 24 hours: VK lets a community write freely only within 24 hours of the resident's
last message; later messages name an intent (``vk.broadcast_intent``, default
``non_promo_newsletter`` for a municipal newsletter; ``confirmed_notification`` goes with a
``subscribe_id``). A resident who has not allowed the community's messages, or who blocked it,
comes back as 901 (or 900/902) and is reported as permanently unreachable.
``messages.isMessagesFromGroupAllowed`` would tell this beforehand, but at one call per resident
it would take up to 100 times the calls of the broadcast itself.
"""
from __future__ import annotations

import hashlib
from typing import Any

from bot.core.channel import DeliveryError
from bot.core.delivery_errors import Kind
from bot.core.events import ResidentRef
from channels.vk.execute import CallRefused
from channels.vk.settings import VkSettings
from channels.vk.transport import INTENT_LIMIT, VkClient, classify

INT32 = 2**31 - 1


def random_id(key: str) -> int:
    """A positive int32 that is the same for the same key, every time and in every process."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % INT32 + 1


def send_values(settings: VkSettings, peers: list[int], text: str, keyboard: str | None,
                key: str) -> dict[str, Any]:
    values: dict[str, Any] = {"peer_ids": ",".join(str(p) for p in peers), "message": text,
                              "random_id": random_id(key)}
    if keyboard is not None:
        values["keyboard"] = keyboard
    if settings.broadcast_intent != "default":
        values["intent"] = settings.broadcast_intent
        if settings.broadcast_subscribe_id is not None:
            values["subscribe_id"] = settings.broadcast_subscribe_id
    return values


async def send(client: VkClient, refs: list[ResidentRef], values: dict[str, Any]) -> dict[ResidentRef, DeliveryError]:
    """One ``messages.send`` call; the failures per resident, or ``DeliveryError`` for the call."""
    answer = await client.request("messages.send", values)
    if "error" in answer:
        raise call_error(client.settings, answer["error"])
    items = answer.get("response")
    if not isinstance(items, list):
        raise DeliveryError(f"VK messages.send answered without a list: {str(answer)[:200]}", unknown=True)
    by_peer = {item.get("peer_id"): item for item in items if isinstance(item, dict)}
    failures: dict[ResidentRef, DeliveryError] = {}
    for ref in refs:
        item = by_peer.get(int(ref.external_id))
        if item is None:  # not mentioned: it may or may not have been sent
            failures[ref] = DeliveryError(f"VK did not report on peer {ref.external_id}", unknown=True)
        elif item.get("error"):
            failures[ref] = peer_error(client.settings, item["error"])
        elif not item.get("message_id") and not item.get("conversation_message_id"):
            failures[ref] = DeliveryError(f"VK reported no message for peer {ref.external_id}", unknown=True)
    return failures


def call_error(settings: VkSettings, error: Any) -> DeliveryError:
    """The whole call was refused (``{"error": {error_code, error_msg}}``)."""
    code = error.get("error_code") if isinstance(error, dict) else None
    message = error.get("error_msg", "") if isinstance(error, dict) else str(error)
    return _as_error(settings, CallRefused("messages.send", code, message))


def peer_error(settings: VkSettings, error: Any) -> DeliveryError:
    """One resident's item in a ``peer_ids`` answer: ``{code, description}`` (or a bare string)."""
    if isinstance(error, dict):
        code = error.get("code", error.get("error_code"))
        message = error.get("description", error.get("error_msg", ""))
    else:
        code, message = None, str(error)
    return _as_error(settings, CallRefused("messages.send, a peer", code, message))


def _as_error(settings: VkSettings, refused: CallRefused) -> DeliveryError:
    """``classify``'s verdict, with the wait VK does not name: an intent's spent quota waits
    ``vk.intent_limit_pause_seconds``, a rate limit ``vk.rate_limit_pause_seconds``."""
    failure = classify(refused)
    if failure.kind is Kind.RATE_LIMITED and refused.code == INTENT_LIMIT:
        return failure.as_error(rate_limit_pause=settings.intent_limit_pause_seconds)
    return failure.as_error(rate_limit_pause=settings.rate_limit_pause_seconds)
