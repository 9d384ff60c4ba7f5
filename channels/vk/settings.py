"""VK's section of the settings (``vk:`` in config.yaml, ``SOUCHASTIE_VK_…``).

The channel registers it in its package (``CHANNEL`` in ``__init__.py``); the application puts
it into ``Settings`` under the channel's name. Every field is described in config.yaml.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator

from bot.core.sections import Section


class VkSettings(Section):
    enabled: bool = False
    token: SecretStr | None = None                  # the community (group) token
    group_id: int = 0                               # 0: asked from VK with groups.getById at start
    api_url: str = "https://api.vk.com/method"     # the tests point the channel's client at a fake
    api_version: str = "5.199"
    mode: Literal["longpoll", "callback"] = "longpoll"
    callback_path: str = "/webhook/vk"
    callback_secret: SecretStr | None = None
    confirmation_code: str = ""
    wait_seconds: int = Field(25, ge=1, le=90)
    request_timeout_seconds: float = Field(30.0, gt=0)
    requests_per_second: float = Field(20.0, gt=0)  # VK allows a community token 20 calls a second
    send_attempts: int = Field(4, ge=1, le=10)      # tries per message on errors 6/9, 5xx, time-outs
    retry_backoff_seconds: float = Field(1.0, ge=0)  # first pause; doubled after each failed try
    # Requests block: they run in these threads, at most this many at once.
    api_threads: int = Field(4, ge=1, le=32)
    # Replies and other calls leave together in VK's execute (channels/vk/execute.py).
    execute_calls: int = Field(25, ge=1, le=25)     # API calls one execute request carries at most (VK runs 25)
    name_cache_size: int = Field(10_000, ge=1)      # residents whose VK name (users.get) is kept in memory
    name_cache_seconds: float = Field(900.0, gt=0)  # ... and for how long, before it is asked again
    longpoll_state_file: str = ""                   # an earlier release's ts file, read once; "" = beside the database
    # Broadcasts: messages.send with peer_ids, paced to requests_per_second by the broadcast sender.
    broadcast_peers_per_call: int = Field(100, ge=1, le=100)  # VK takes at most 100 peer_ids a call
    # VK's message intent for residents who have not written within 24 hours (see config.yaml).
    broadcast_intent: Literal["default", "non_promo_newsletter", "confirmed_notification",
                              "promo_newsletter"] = "non_promo_newsletter"
    # Required for confirmed_notification.
    broadcast_subscribe_id: int | None = Field(None, ge=0, le=100, validate_default=True)
    rate_limit_pause_seconds: float = Field(1.0, gt=0)  # error 6/9 (VK names no wait): retry after this
    intent_limit_pause_seconds: float = Field(3600.0, gt=0)  # error 944, the intent's quota is used up
    callback_max_body_bytes: int = Field(262_144, ge=1024)  # a larger Callback API body gets 413
    uploaded_photos_kept: int = Field(256, ge=1)  # stored pictures whose VK photo id is remembered, not uploaded again

    def missing_to_run(self) -> list[str]:
        if not (self.enabled or self.token is not None):
            return []
        missing = [] if self.token is not None else ["SOUCHASTIE_VK_TOKEN"]
        if self.mode == "callback":
            missing += [name for name, value in (("SOUCHASTIE_VK_CALLBACK_SECRET", self.callback_secret),
                                                 ("vk.confirmation_code", self.confirmation_code)) if not value]
        if missing:
            return [f"канал VK{' в режиме callback' if self.mode == 'callback' else ''} не настроен до конца, "
                    f"не задано: {', '.join(missing)}"]
        return []

    @field_validator("broadcast_subscribe_id")
    @classmethod
    def _confirmed_needs_a_subscription(cls, value: int | None, info) -> int | None:
        if value is None and info.data.get("broadcast_intent") == "confirmed_notification":
            raise ValueError("для vk.broadcast_intent confirmed_notification нужен vk.broadcast_subscribe_id")
        return value
