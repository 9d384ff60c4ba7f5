"""Typed settings: one model per section of config.yaml, overridable from the environment.

The naming rule for the environment is one and only one: ``SOUCHASTIE_<SECTION>_<KEY>``,
upper-case, with ``__`` between deeper levels (``SOUCHASTIE_SERVER_PORT=9000``,
``SOUCHASTIE_TELEGRAM_TOKEN=…``, ``SOUCHASTIE_PROPOSALS_MAX_PHOTOS=3``). Section names carry
no underscore, which is what makes the rule unambiguous. Values are read as YAML scalars, so
``true``, ``8080`` and ``[a, b]`` mean what they look like. The environment wins over the
file, the file over the defaults; pydantic-settings reads and merges them
(bot/settings_sources.py), and a bad value is reported naming its variable or the file.

Secrets (tokens, signing keys) are ``SecretStr`` fields: they are accepted only from the
environment, and a config file that holds one is refused, so that a token is never committed
with the configuration.
"""
from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.localtime import LocalTime, zone_named
from bot.settings_sources import (ENV_PREFIX, ConfigError, ConfigFileSource,  # noqa: F401  (ConfigError: re-exported)
                                  EnvironmentSource, explain)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Titled(Section):
    """A configurable item shown to residents: a stable key and a title per language."""

    # pydantic-core's Rust regex: "$" is the very end of the text, so "idea\n" is refused
    # (tests/test_input_patterns.py); "\Z" does not exist there.
    key: str = Field(pattern=r"^[a-z0-9_]{1,24}$")
    title: dict[str, str]

    def title_in(self, language: str, fallback: str = "ru") -> str:
        return self.title.get(language) or self.title.get(fallback) or self.key


def _check_networks(value: tuple[str, ...]) -> tuple[str, ...]:
    """Every item an address or a network (a.b.c.d/nn, IPv6 too)."""
    import ipaddress
    for item in value:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError as error:
            raise ValueError(f"{item!r} — не адрес и не сеть (a.b.c.d/nn)") from error
    return value


class ServerSettings(Section):
    host: str = "0.0.0.0"
    port: int = Field(8080, ge=0, le=65535)
    public_url: str = "http://localhost:8080"
    shutdown_grace_seconds: float = Field(10.0, gt=0)
    trusted_proxies: tuple[str, ...] = ()            # reverse proxies whose X-Forwarded-For is believed
    log_repeat_seconds: float = Field(60.0, ge=0)    # identical log lines within this window: one, then a count
    open_files: int = Field(65536, ge=0)  # the soft open-files limit is raised to this (≤ the hard one); 0: left

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_networks(value)


class StorageSettings(Section):
    path: Path = Path("data/souchastie.db")
    attachments_dir: Path = Path("data/attachments")
    busy_timeout_ms: int = Field(5000, ge=0)
    synchronous: Literal["full", "normal"] = "normal"
    processed_update_retention_days: int = Field(30, ge=1)
    attachments_quota_mb: int = Field(2048, ge=1)        # residents' photos on disk at most; then refused
    attachments_grace_hours: float = Field(24.0, gt=0)   # a photo no row refers to is deleted this much later
    max_image_pixels: int = Field(50_000_000, ge=10_000, le=150_000_000)  # width × height a photo may declare (50 Mpx)


class InboxSettings(Section):
    """Stored events that were not processed (bot/core/dispatcher.py): retried while the bot runs."""

    retry_every_seconds: float = Field(30.0, gt=0)      # how often open rows are looked for and tried again
    retry_older_than_seconds: float = Field(10.0, ge=0)  # only rows stored at least this long ago
    max_attempts: int = Field(5, ge=1, le=100)           # tries per event (the first included), then a dead letter


class ProjectSettings(Section):
    name: dict[str, str] = {"ru": "Парк культуры и отдыха", "en": "The Culture and Leisure Park",
                            "zh": "文化休闲公园", "mn": "Соёл амралтын хүрээлэн"}
    appeals_url: str = "https://www.gosuslugi.ru/10091/1"
    website_url: str = ""
    time_zone: str = "Asia/Chita"   # IANA name: every time staff and residents see is in it

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone_named(value)
        return value

    @property
    def clock(self) -> LocalTime:
        """The town's clock: every time shown is turned into it, every time typed read in it."""
        return LocalTime(self.time_zone)


class PrivacySettings(Section):
    consent_version: str = "2026-11-01"
    operator: str = "Администрация городского поселения"
    retention_months: int = Field(36, ge=1)
    contact_email: str = "privacy@example.org"
    # The confirmation of an erasure is deleted once delivered; one not delivered (the web chat,
    # whose browser fetches its replies, or a platform that is down) is deleted after this long.
    confirmation_keep_minutes: float = Field(60, gt=0)
    cleanup_every_seconds: float = Field(60, gt=0)  # how often leftovers of erasures are looked for


class LanguageSettings(Section):
    default: str = "ru"


DEFAULT_CATEGORIES = (
    Titled(key="idea", title={"ru": "Идея для парка", "en": "An idea for the park",
                              "zh": "给公园的想法", "mn": "Цэцэрлэгт хүрээлэнгийн санаа"}),
    Titled(key="problem", title={"ru": "Проблема, которую надо решить", "en": "A problem to fix",
                                 "zh": "需要解决的问题", "mn": "Шийдвэрлэх асуудал"}),
    Titled(key="tree", title={"ru": "Дерево (Я-дендролог)", "en": "A tree (I am a dendrologist)",
                              "zh": "树木（我是树木学家）", "mn": "Мод (Би дендрологич)"}),
    Titled(key="lost", title={"ru": "Что было в парке раньше", "en": "Something the park has lost",
                              "zh": "公园里以前有过的东西", "mn": "Өмнө нь байсан зүйл"}),
)

DEFAULT_TOPICS = (
    Titled(key="episodes", title={"ru": "Мультсериал «ПАРКУ БЫТЬ!»", "en": "The cartoon \"ПАРКУ БЫТЬ!\"",
                                  "zh": "动画片《ПАРКУ БЫТЬ!》", "mn": "«ПАРКУ БЫТЬ!» хүүхэлдэйн кино"}),
    Titled(key="news", title={"ru": "Новости проекта", "en": "Project news", "zh": "项目新闻", "mn": "Төслийн мэдээ"}),
    Titled(key="results", title={"ru": "Итоги голосований", "en": "Poll results", "zh": "投票结果",
                                 "mn": "Санал хураалтын дүн"}),
)


class ReceptionPoint(Section):
    """A place where staff take proposals in person or on paper; operator entry records its key,
    the panel and the statistics show its title."""

    key: str = Field(pattern=r"^[a-z0-9_]{1,24}$")
    title: str = Field(min_length=1, max_length=120)   # in Russian, as staff read it
    address: str = Field("", max_length=200)
    hours: str = Field("", max_length=120)             # opening hours, as staff tell residents


# The Krasnokamensk campaign opened seven reception points (seed §14 p. 4); the passport does not
# name them, so these are the places such a town opens them in: replace with your own.
DEFAULT_RECEPTION_POINTS = (
    ReceptionPoint(key="administration", title="Администрация городского поселения"),
    ReceptionPoint(key="culture_centre", title="Культурно-спортивный центр"),
    ReceptionPoint(key="library", title="Центральная городская библиотека"),
    ReceptionPoint(key="park", title="Детский парк культуры и отдыха"),
    ReceptionPoint(key="mfc", title="МФЦ «Мои документы»"),
    ReceptionPoint(key="youth_centre", title="Молодёжный центр"),
    ReceptionPoint(key="mall", title="Торговый центр (стойка проекта)"),
)


class ProposalSettings(Section):
    categories: tuple[Titled, ...] = Field(DEFAULT_CATEGORIES, min_length=1)
    # False: a new proposal is in the first category, which the resident sees and may change on
    # its last screen (no question to answer); True: the category is asked right after the text.
    ask_category: bool = False
    text_min_length: int = Field(10, ge=1)
    text_max_length: int = Field(2000, ge=10)
    address_max_length: int = Field(300, ge=10)
    max_photos: int = Field(5, ge=0, le=10)
    max_photo_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    receipt_prefix: str = "П-"
    list_limit: int = Field(10, ge=1, le=50)
    # Where staff take proposals in person or on paper: chosen from this list in operator entry.
    reception_points: tuple[ReceptionPoint, ...] = DEFAULT_RECEPTION_POINTS
    # Similar proposals (storage/similar_proposals.py): at «Отправить», up to this many public
    # proposals like the draft are offered to support instead (0: never); a proposal is similar
    # from this TF-IDF cosine of lemmas up (bench/similar.py measures precision and recall).
    similar_limit: int = Field(3, ge=0, le=3)
    similar_threshold: float = Field(0.45, gt=0, le=1)
    # Which statuses make a proposal public, offered to other residents: those a moderator has
    # let through. «new» may be added where unread proposals may be shown; never spam,
    # duplicates or the ones found not feasible.
    similar_statuses: tuple[str, ...] = ("in_review", "with_experts", "accepted", "partly_accepted")
    # The likely duplicates a proposal's page in the panel shows, and from which cosine.
    duplicates_limit: int = Field(5, ge=0, le=20)
    duplicates_threshold: float = Field(0.3, gt=0, le=1)

    @field_validator("categories")
    @classmethod
    def _unique_keys(cls, value: tuple[Titled, ...]) -> tuple[Titled, ...]:
        keys = [c.key for c in value]
        if len(keys) != len(set(keys)):
            raise ValueError("ключи категорий должны быть разными")
        return value

    @field_validator("reception_points")
    @classmethod
    def _unique_points(cls, value: tuple[ReceptionPoint, ...]) -> tuple[ReceptionPoint, ...]:
        keys = [p.key for p in value]
        if len(keys) != len(set(keys)):
            raise ValueError("ключи пунктов приёма должны быть разными")
        return value

    @field_validator("similar_statuses")
    @classmethod
    def _public_statuses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        allowed = ("new", "in_review", "with_experts", "accepted", "partly_accepted")
        unknown = [status for status in value if status not in allowed]
        if unknown:
            raise ValueError(f"similar_statuses: {', '.join(unknown)} нельзя показывать жителям;"
                             f" можно: {', '.join(allowed)}")
        return value


class SubscriptionSettings(Section):
    topics: tuple[Titled, ...] = DEFAULT_TOPICS


class PollSettings(Section):
    check_every_seconds: float = Field(30.0, gt=0)


class EpisodeSettings(Section):
    grace_hours: float = Field(12.0, ge=0)          # a missed episode goes out this long after its air time
    check_every_seconds: float = Field(60.0, gt=0)  # how often new or moved episodes are looked for


class BroadcastSettings(Section):
    """Broadcast senders (broadcasts/sender.py); per-channel ceilings are the channels' own settings."""

    claim_size: int = Field(500, ge=1, le=10_000)           # deliveries claimed per transaction at most
    in_flight_seconds: float = Field(2.0, gt=0)             # a channel has at most this many seconds of sending claimed
    flush_seconds: float = Field(0.5, gt=0)                 # outcomes written at least this often, in one transaction
    pace_fraction: float = Field(0.97, gt=0, le=1)          # of the ceiling, ⌊this × ceiling⌋ calls in any second
    max_attempts: int = Field(8, ge=1, le=100)              # tries per recipient on transient errors, then failed
    backoff_seconds: float = Field(5.0, ge=0)               # pause before the first retry; doubled after each
    backoff_max_seconds: float = Field(300.0, ge=0)         # the longest pause between retries
    idle_seconds: float = Field(1.0, gt=0)                  # an idle sender looks for new broadcasts this often
    check_every_seconds: float = Field(1.0, gt=0)           # scheduled broadcasts are started this often
    stop_grace_seconds: float = Field(5.0, ge=0)            # at stop, how long sends in flight may finish


FRAME_ANCESTOR = r"^('self'|'none'|https?://(\*\.)?[A-Za-z0-9.\-]+(:[0-9]{1,5})?)\Z"
# A tile server's address template: its origin goes into the page's CSP, so nothing but a plain
# host (a "{s}." subdomain placeholder allowed) may stand before the path.
TILES_URL = r"^(https?)://((\{s\}\.)?[A-Za-z0-9.\-]+(:[0-9]{1,5})?)(/[^\s'\";,]*)\Z"


class WebchatSettings(Section):
    """The built-in web chat; what one browser (session) and one address may send is limited
    here (README, "What a resident may send"); every field is described in config.yaml."""

    enabled: bool = True
    poll_timeout_seconds: float = Field(25.0, gt=0, le=60)
    max_json_bytes: int = Field(512 * 1024, ge=1024)
    broadcast_batch: int = Field(500, ge=1, le=2000)  # broadcast recipients written per transaction
    broadcast_batches_per_second: float = Field(20.0, gt=0)  # leaves the one writer free for residents
    messages_per_minute_per_session: int = Field(40, ge=1)
    messages_per_minute_per_address: int = Field(300, ge=1)
    upload_mb_per_hour_per_session: int = Field(60, ge=1)
    upload_mb_per_hour_per_address: int = Field(300, ge=1)
    uploads_in_memory_mb: int = Field(100, ge=1)      # photo bytes held at once while being received
    long_polls_per_session: int = Field(3, ge=1)
    long_polls_per_address: int = Field(100, ge=1)
    long_polls_total: int = Field(500, ge=1)
    frame_ancestors: tuple[str, ...] = Field(("'self'",), min_length=1)  # who may show /chat in a frame
    # The map on which a resident points at a place: tiles from this server ("" = no map, only the
    # phone's position or a typed address); the page's CSP allows images from its host alone.
    map_tiles_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    map_attribution: str = "© OpenStreetMap contributors"      # shown on the map, as the tiles' licence asks
    map_attribution_url: str = "https://www.openstreetmap.org/copyright"
    map_centre: tuple[float, float] = (50.0965, 118.0335)       # where the map opens: the town (latitude, longitude)
    map_zoom: int = Field(15, ge=1, le=19)
    map_max_zoom: int = Field(19, ge=1, le=22)                   # the tile server's deepest level

    @property
    def map_tiles_origin(self) -> str:
        """The tile server as a CSP source ("https://*.tile.example.org" for a "{s}." template)."""
        import re
        found = re.match(TILES_URL, self.map_tiles_url)
        if found is None:
            return ""
        return f"{found[1]}://{found[2].replace('{s}.', '*.')}"

    @field_validator("map_tiles_url")
    @classmethod
    def _tiles(cls, value: str) -> str:
        import re
        if value and not (re.match(TILES_URL, value) and all(f"{{{part}}}" in value for part in "zxy")):
            raise ValueError(f"{value!r}: напишите адрес плиток, например"
                             " https://tile.openstreetmap.org/{z}/{x}/{y}.png"
                             " (http или https, простое имя сервера, в адресе {z}, {x} и {y}) или \"\" — без карты")
        return value

    @field_validator("map_attribution_url")
    @classmethod
    def _attribution_url(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError(f"{value!r}: нужен адрес http(s) или \"\"")
        return value

    @field_validator("map_centre")
    @classmethod
    def _centre(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not (-90 <= value[0] <= 90 and -180 <= value[1] <= 180):
            raise ValueError("напишите [широта, долгота]: широта в пределах ±90, долгота — ±180")
        return value

    @field_validator("frame_ancestors", mode="before")
    @classmethod
    def _quoted(cls, value: Any) -> Any:
        # YAML reads ['self'] as the word self: the quotes CSP wants are put back.
        if isinstance(value, (list, tuple)):
            return tuple(f"'{item}'" if item in ("self", "none") else item for item in value)
        return value

    @field_validator("frame_ancestors")
    @classmethod
    def _sources(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import re
        for item in value:
            if not re.match(FRAME_ANCESTOR, item):
                raise ValueError(f"{item!r}: напишите 'self', 'none' или адрес сайта, например https://city.example.ru")
        if "'none'" in value and len(value) > 1:
            raise ValueError("'none' нельзя сочетать с другими frame_ancestors")
        return value


class TelegramSettings(Section):
    enabled: bool = False
    token: SecretStr | None = Field(None, validate_default=True)  # from @BotFather: 123456:ABC…
    api_url: str = "https://api.telegram.org"      # a local Bot API server, or the tests' fake
    mode: Literal["polling", "webhook"] = "polling"
    webhook_path: str = Field("/webhook/telegram", pattern=r"^/[A-Za-z0-9_\-/]*$")
    webhook_secret: SecretStr | None = Field(None, validate_default=True)  # required in webhook mode
    poll_timeout_seconds: int = Field(25, ge=0, le=50)
    request_timeout_seconds: float = Field(30.0, gt=0)
    poll_limit: int = Field(100, ge=1, le=100)      # updates per getUpdates batch (Telegram allows 100)
    send_attempts: int = Field(4, ge=1, le=10)      # tries per call on 429, 5xx and time-outs
    retry_backoff_seconds: float = Field(1.0, ge=0)  # first pause after a 5xx or time-out; then doubled
    max_retry_after_seconds: float = Field(60.0, ge=0)  # a longer 429 wait leaves the reply for later
    broadcast_per_second: float = Field(30.0, gt=0)  # broadcast messages a second (Telegram: about 30)
    max_connections: int = Field(100, ge=1)         # open connections to the Bot API at most
    webhook_max_body_bytes: int = Field(1_048_576, ge=1024)  # a larger webhook body gets 413

    @field_validator("token")
    @classmethod
    def _token_looks_like_one(cls, token: SecretStr | None, info) -> SecretStr | None:
        if token is None:
            return None
        bot_id, colon, rest = token.get_secret_value().partition(":")
        if not (bot_id.isdigit() and colon and rest) or any(c.isspace() for c in rest):
            raise ValueError("SOUCHASTIE_TELEGRAM_TOKEN выглядит как 123456789:AAE… (как его выдаёт @BotFather)")
        return token

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_needs_a_secret(cls, secret: SecretStr | None, info) -> SecretStr | None:
        # The fields above this one are validated already and in ``info.data``.
        if secret is None:
            return None
        value = secret.get_secret_value()
        if not 1 <= len(value) <= 256 or not all(c.isascii() and (c.isalnum() or c in "_-") for c in value):
            raise ValueError("секрет — от 1 до 256 знаков из A-Z, a-z, 0-9, _ и -")
        return secret

    def missing_to_run(self) -> list[str]:
        if not (self.enabled or self.token is not None):
            return []
        missing = [] if self.token is not None else ["SOUCHASTIE_TELEGRAM_TOKEN"]
        if self.mode == "webhook" and self.webhook_secret is None:
            missing.append("SOUCHASTIE_TELEGRAM_WEBHOOK_SECRET")
        return [f"канал Telegram включён, но не задано: {', '.join(missing)}"] if missing else []


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
    api_threads: int = Field(4, ge=1, le=32)        # requests block: they run in these threads, this many at once
    # Replies and other calls leave together in VK's execute (channels/vk/execute.py).
    execute_calls: int = Field(25, ge=1, le=25)     # API calls one execute request carries at most (VK runs 25)
    name_cache_size: int = Field(10_000, ge=1)      # residents whose VK name (users.get) is kept in memory
    name_cache_seconds: float = Field(900.0, gt=0)  # ... and for how long, before it is asked again
    longpoll_state_file: str = ""                   # "" keeps the long-poll ts beside the database
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


class MaxSettings(Section):
    """The MAX messenger (dev.max.ru); limits and pauses are documented in config.yaml."""

    enabled: bool = False
    token: SecretStr | None = None
    api_url: str = "https://platform-api.max.ru"
    ca_bundle: str = ""                             # PEM file with the Russian national CA, if needed
    mode: Literal["polling", "webhook"] = "polling"
    webhook_path: str = "/webhook/max"
    webhook_secret: SecretStr | None = Field(None, validate_default=True)
    poll_timeout_seconds: int = Field(30, ge=0, le=90)
    poll_limit: int = Field(100, ge=1, le=1000)
    request_timeout_seconds: float = Field(35.0, gt=0)
    send_attempts: int = Field(4, ge=1, le=20)
    retry_base_seconds: float = Field(1.0, gt=0)
    retry_max_seconds: float = Field(30.0, gt=0)
    attachment_attempts: int = Field(5, ge=1)
    attachment_retry_seconds: float = Field(2.0, ge=0)
    requests_per_second: float = Field(30.0, gt=0)
    polls_per_second: float = Field(2.0, gt=0)
    max_connections: int = Field(100, ge=1)
    rate_limit_pause_seconds: float = Field(1.0, gt=0)  # a broadcast send answered 429 waits this long
    webhook_max_body_bytes: int = Field(1_048_576, ge=1024)  # a larger webhook body gets 413

    def missing_to_run(self) -> list[str]:
        if not (self.enabled or self.token is not None):
            return []
        missing = [] if self.token is not None else ["SOUCHASTIE_MAX_TOKEN"]
        if self.mode == "webhook" and self.webhook_secret is None:
            missing.append("SOUCHASTIE_MAX_WEBHOOK_SECRET")
        return [f"канал MAX включён, но не задано: {', '.join(missing)}"] if missing else []

    @field_validator("webhook_secret")
    @classmethod
    def _secret_for_webhooks(cls, value: SecretStr | None) -> SecretStr | None:
        # MAX sends it back in X-Max-Bot-Api-Secret; its schema allows ^[\w-]{5,256}$.
        if value is None:
            return None
        secret = value.get_secret_value()
        if not 5 <= len(secret) <= 256 or not all(c.isascii() and (c.isalnum() or c in "_-") for c in secret):
            raise ValueError("секрет — от 5 до 256 знаков из A-Z, a-z, 0-9, _ и -")
        return value


class GatewaySettings(Section):
    """The generic JSON-over-HTTP gateway (docs/gateway.md); every field is described in config.yaml."""

    enabled: bool = False
    secret: SecretStr | None = Field(None, validate_default=True)  # the shared HMAC-SHA256 key
    inbound_path: str = Field("/api/gateway/events", pattern=r"^/[A-Za-z0-9_\-/]*$")
    outbound_url: str = Field("", validate_default=True)   # where replies are POSTed
    request_timeout_seconds: float = Field(10.0, gt=0)
    send_attempts: int = Field(4, ge=1, le=20)
    retry_backoff_seconds: float = Field(1.0, ge=0)
    messages_per_second: float = Field(20.0, gt=0)
    max_body_bytes: int = Field(1_048_576, ge=1024)

    @field_validator("secret")
    @classmethod
    def _secret_when_enabled(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is None:
            return None
        if len(secret.get_secret_value()) < 16:
            raise ValueError("SOUCHASTIE_GATEWAY_SECRET должен быть не короче 16 знаков")
        return secret

    @field_validator("outbound_url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if url and not url.startswith(("http://", "https://")):
            raise ValueError("gateway.outbound_url: адрес шлюза, http(s)://…")
        return url

    def missing_to_run(self) -> list[str]:
        if not self.enabled:
            return []
        missing = [name for name, value in (("SOUCHASTIE_GATEWAY_SECRET", self.secret),
                                            ("gateway.outbound_url", self.outbound_url)) if not value]
        return [f"шлюз включён, но не задано: {', '.join(missing)}"] if missing else []


class WhatsappTemplate(Section):
    """An approved message template (WhatsApp Manager) for broadcasts outside the 24-hour window."""

    name: str = Field(pattern=r"^[a-z0-9_]{1,512}$")
    language: str = "ru"
    # The template's body has one {{1}} that carries the broadcast's text (flattened to one line).
    text_parameter: bool = True


class WhatsappSettings(Section):
    enabled: bool = False
    token: SecretStr | None = Field(None, validate_default=True)  # a system user's access token
    app_secret: SecretStr | None = None             # signs webhook POSTs (X-Hub-Signature-256)
    verify_token: SecretStr | None = None           # echoed by Meta when the webhook is verified
    phone_number_id: str = Field("", pattern=r"^[0-9]{0,32}$")  # the sender number's id, not the number
    graph_url: str = "https://graph.facebook.com"  # or the tests' fake
    graph_version: str = Field("v21.0", pattern=r"^v[0-9]+\.[0-9]+$")
    webhook_path: str = Field("/webhook/whatsapp", pattern=r"^/[A-Za-z0-9_\-/]*$")
    request_timeout_seconds: float = Field(30.0, gt=0)
    send_attempts: int = Field(4, ge=1, le=10)      # tries per call on 130429, 5xx and time-outs
    retry_backoff_seconds: float = Field(1.0, ge=0)  # first pause; then doubled
    messages_per_second: float = Field(80.0, gt=0)  # Cloud API throughput: 80 a second by default
    service_window_hours: float = Field(24.0, gt=0)  # WhatsApp's customer-service window
    broadcast_template: WhatsappTemplate | None = None  # outside the window; none → skipped, counted
    webhook_max_body_bytes: int = Field(3_145_728, ge=1024)  # Meta's bodies reach 3 MB; larger gets 413

    @field_validator("phone_number_id", mode="before")
    @classmethod
    def _digits_as_text(cls, value: Any) -> Any:
        # The environment is read as YAML, where an all-digit id is a number.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    def missing_to_run(self) -> list[str]:
        """A token alone turns the channel on; without the rest webhooks cannot be trusted."""
        if (self.enabled or self.token is not None) and (missing := self.missing()):
            return ["канал WhatsApp не настроен до конца, не задано: "
                    + ", ".join(f"SOUCHASTIE_WHATSAPP_{key.upper()}" for key in missing)]
        return []

    def missing(self) -> list[str]:
        """What the channel needs and has not got."""
        needed = {"token": self.token, "app_secret": self.app_secret, "verify_token": self.verify_token,
                  "phone_number_id": self.phone_number_id}
        return [key for key, value in needed.items() if not value]


class OkSettings(Section):
    """Odnoklassniki's Bot API for groups (docs/ok.md); every field is described in config.yaml.

    OK signs no webhook, so the sender's network is the only proof a webhook came from OK:
    ``allowed_networks`` is checked against the connection's address (or, behind one of the
    ``trusted_proxies``, the address that proxy saw)."""

    enabled: bool = False
    token: SecretStr | None = Field(None, validate_default=True)  # the group's access token
    api_url: str = "https://api.ok.ru"
    webhook_path: str = Field("/webhook/ok", pattern=r"^/[A-Za-z0-9_\-/]*$")
    allowed_networks: tuple[str, ...] = ()          # OK publishes no list: see config.yaml
    trusted_proxies: tuple[str, ...] = ()           # reverse proxies whose X-Forwarded-For is believed
    request_timeout_seconds: float = Field(30.0, gt=0)
    send_attempts: int = Field(4, ge=1, le=10)
    retry_backoff_seconds: float = Field(1.0, ge=0)
    rate_limit_pause_seconds: float = Field(1.0, gt=0)
    requests_per_second: float = Field(10.0, gt=0)
    max_connections: int = Field(100, ge=1)
    webhook_max_body_bytes: int = Field(1_048_576, ge=1024)  # a larger webhook body gets 413

    def missing_to_run(self) -> list[str]:
        if self.enabled and self.token is None:
            return ["канал «Одноклассники» включён, но не задано: SOUCHASTIE_OK_TOKEN"]
        return []

    @field_validator("allowed_networks", "trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_networks(value)


class SmsSettings(Section):
    """One-time codes by SMS (bot/sms.py), for phone-verified polls where the messenger cannot
    share a verified contact (VK, OK, the web chat); every field is described in config.yaml."""

    provider: Literal["", "smsru", "smsc", "smsaero", "json"] = ""  # "" = no SMS: such polls point to other channels
    url: str = ""                                   # "" = the provider's own address
    login: str = ""                                 # SMS Aero only: the account's e-mail (HTTP Basic)
    token: SecretStr | None = Field(None, validate_default=True)  # SOUCHASTIE_SMS_TOKEN: api_id / API key / bearer
    sender: str = Field("", max_length=11)          # the sender name registered with the provider
    request_timeout_seconds: float = Field(10.0, gt=0)
    default_region: str = Field("RU", pattern=r"^[A-Z]{2}$")  # how a number without +country is read
    code_length: int = Field(6, ge=4, le=8)
    code_ttl_seconds: float = Field(300.0, gt=0, le=86400)  # a code works this long after it was asked for
    attempts_per_code: int = Field(5, ge=1, le=20)  # wrong entries, then the code is void
    resend_after_seconds: float = Field(60.0, ge=0)  # a new code for the same resident not sooner
    codes_per_phone_per_day: int = Field(5, ge=1)   # codes sent to one number in 24 hours, all residents together
    codes_per_resident_per_day: int = Field(5, ge=1)  # codes one resident may ask for in 24 hours, all numbers

    def missing_to_run(self) -> list[str]:
        if self.provider and self.token is None:
            return [f"sms.provider — {self.provider}, но не задано: SOUCHASTIE_SMS_TOKEN"]
        return []

    @model_validator(mode="after")
    def _complete_when_used(self) -> "SmsSettings":
        if self.provider == "smsaero" and not self.login:
            raise ValueError("sms.provider — smsaero: задайте sms.login (почту учётной записи)")
        if self.provider == "json" and not self.url.startswith(("http://", "https://")):
            raise ValueError("sms.provider — json: задайте в sms.url адрес шлюза http(s)")
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ValueError("sms.url — адрес http(s)")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.provider)


class PosterSettings(Section):
    """The bot's public name in each messenger: deep links on QR posters (the panel's «Плакаты»),
    and the links a resident is given to another channel (a phone check that this one cannot do);
    "" leaves that link out."""

    telegram_bot: str = Field("", pattern=r"^[A-Za-z0-9_]{0,64}$")   # t.me/<telegram_bot>?start=<source>
    vk_group: str = Field("", pattern=r"^[A-Za-z0-9_.]{0,64}$")      # vk.me/<vk_group>?ref=<source>
    max_bot: str = Field("", pattern=r"^[A-Za-z0-9_]{0,64}$")        # max.ru/<max_bot>?start=<source>
    whatsapp_number: str = Field("", pattern=r"^[0-9]{0,15}$")       # wa.me/<whatsapp_number> (digits, no +)

    @field_validator("whatsapp_number", mode="before")
    @classmethod
    def _digits_as_text(cls, value: Any) -> Any:
        # The environment is read as YAML, where an all-digit number is a number.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class ReportSettings(Section):
    """The weekly «срез мнений»: written to the panel, and sent to these staff residents."""

    recipients: tuple[str, ...] = ()                 # "<channel>:<id in that channel>", e.g. "telegram:12345"
    check_every_seconds: float = Field(3600.0, gt=0)  # how often a finished week without a report is looked for

    @field_validator("recipients")
    @classmethod
    def _channel_and_id(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            channel, colon, external_id = item.partition(":")
            if not (channel and colon and external_id):
                raise ValueError(f"{item!r}: получатель пишется как <канал>:<id>, например telegram:12345")
        return value


class AdminSettings(Section):
    """The staff panel's login throttle; admin/throttle.py says why these numbers."""

    login_free_failures: int = Field(5, ge=1, le=1000)             # per name from one address, then delays
    login_address_free_failures: int = Field(100, ge=1)            # per address over all names, then delays
    login_first_delay_seconds: float = Field(1.0, gt=0)            # the first delay; doubled after each failure
    login_max_delay_seconds: float = Field(900.0, gt=0)            # the longest delay
    login_forget_hours: float = Field(24.0, gt=0)                  # a name's count from one address starts again
    login_address_forget_minutes: float = Field(60.0, gt=0)        # an address's count starts again


# The sources of the settings being loaded (load_settings); none else, ``Settings()`` is the defaults.
_SOURCES: ContextVar[tuple[PydanticBaseSettingsSource, ...]] = ContextVar("settings_sources", default=())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        extra="forbid", frozen=True, validate_default=False, case_sensitive=True,
        env_prefix=ENV_PREFIX, env_nested_delimiter="_", env_nested_max_split=1)

    server: ServerSettings = ServerSettings()
    admin: AdminSettings = AdminSettings()
    storage: StorageSettings = StorageSettings()
    inbox: InboxSettings = InboxSettings()
    project: ProjectSettings = ProjectSettings()
    privacy: PrivacySettings = PrivacySettings()
    languages: LanguageSettings = LanguageSettings()
    proposals: ProposalSettings = ProposalSettings()
    subscriptions: SubscriptionSettings = SubscriptionSettings()
    polls: PollSettings = PollSettings()
    episodes: EpisodeSettings = EpisodeSettings()
    broadcasts: BroadcastSettings = BroadcastSettings()
    webchat: WebchatSettings = WebchatSettings()
    telegram: TelegramSettings = TelegramSettings()
    vk: VkSettings = VkSettings()
    max: MaxSettings = MaxSettings()
    ok: OkSettings = OkSettings()
    whatsapp: WhatsappSettings = WhatsappSettings()
    gateway: GatewaySettings = GatewaySettings()
    sms: SmsSettings = SmsSettings()
    posters: PosterSettings = PosterSettings()
    reports: ReportSettings = ReportSettings()

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment, then config.yaml: only those load_settings was given."""
        return (init_settings, *_SOURCES.get())

    def missing_to_run(self) -> list[str]:
        """What the running bot needs and the settings lack: a channel's token and the like.

        Asked only by ``python -m bot run``: staff commands that reach no platform (content
        load, exports, broadcast create, statistics) work without the secrets in their shell,
        while whatever is given is still checked at load (a malformed token is an error)."""
        problems = []
        for name in type(self).model_fields:
            section = getattr(self, name)
            if hasattr(section, "missing_to_run"):
                problems += [f"{name}: {problem}" for problem in section.missing_to_run()]
        return problems


def load_settings(path: Path | str | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """The settings from the defaults, ``path`` (config.yaml) over them, and ``environ`` over both."""
    path = Path(path) if path is not None else None
    file = ConfigFileSource(Settings, path, FILE_SETTINGS)
    environment = EnvironmentSource(Settings, os.environ if environ is None else environ, FILE_SETTINGS)
    token = _SOURCES.set((environment, file))
    try:
        return Settings()
    except ValidationError as error:
        raise ConfigError(explain(error, path, environment.origins)) from error
    finally:
        _SOURCES.reset(token)


def check_runnable(settings: Settings) -> Settings:
    """The settings, when the bot can run on them; else a ConfigError naming everything missing."""
    if problems := settings.missing_to_run():
        raise ConfigError("; ".join(problems))
    return settings


# Settings that name a file or folder. A relative one in config.yaml (or left at its default)
# means beside that file, wherever the command is run from, so that ``python -m bot export``
# run in another folder reads the same database; one given in the environment, as any path
# typed in a shell, means from the current folder.
FILE_SETTINGS = ("storage.path", "storage.attachments_dir", "vk.longpoll_state_file", "max.ca_bundle")
