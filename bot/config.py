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

The application's own sections are here; each channel owns its section (``channels/<name>/
settings.py``) and registers it with its package (``CHANNEL``), and ``Settings`` is assembled
from both, so a channel's keys exist because the channel is registered, under its name.
"""
from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Mapping, Sequence, cast

from pydantic import Field, SecretStr, ValidationError, create_model, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.core.plugins import ChannelPackage
from bot.core.sections import Section, check_frame_ancestors, check_networks, quoted_csp_sources
from bot.localtime import LocalTime, zone_named
from bot.settings_sources import ENV_PREFIX, ConfigError, ConfigFileSource, EnvironmentSource, explain  # noqa: F401  (ConfigError: re-exported)
from channels import CHANNELS
from storage.choice import StorageChoice
from storage.statuses import ProposalStatus


class Titled(Section):
    """A configurable item shown to residents: a stable key and a title per language."""

    # pydantic-core's Rust regex: "$" is the very end of the text, so "idea\n" is refused
    # (tests/test_input_patterns.py); "\Z" does not exist there.
    key: str = Field(pattern=r"^[a-z0-9_]{1,24}$")
    title: dict[str, str]

    def title_in(self, language: str, fallback: str = "ru") -> str:
        return self.title.get(language) or self.title.get(fallback) or self.key


class ServerSettings(Section):
    host: str = "0.0.0.0"
    port: int = Field(8080, ge=0, le=65535)
    public_url: str = "http://localhost:8080"
    shutdown_grace_seconds: float = Field(10.0, gt=0)
    trusted_proxies: tuple[str, ...] = ()            # reverse proxies whose X-Forwarded-For is believed
    log_repeat_seconds: float = Field(60.0, ge=0)    # identical log lines within this window: one, then a count
    open_files: int = Field(65536, ge=0)  # the soft open-files limit is raised to this (≤ the hard one); 0: left
    # /metrics (Prometheus) answers connections from these networks (seen through trusted_proxies),
    # or a request with ``Authorization: Bearer <metrics_token>``; anyone else gets 403.
    metrics_networks: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    metrics_token: SecretStr | None = None          # SOUCHASTIE_SERVER_METRICS_TOKEN; None: networks only
    readiness_timeout_seconds: float = Field(2.0, gt=0)  # /readyz: the database must answer within this
    unready_seconds: float = Field(0.0, ge=0)  # on stop, /readyz says 503 this long before anything stops

    @field_validator("trusted_proxies", "metrics_networks")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return check_networks(value)


class LoggingSettings(Section):
    """How log lines are written (bot/logs.py); ``--log-format`` on the command line wins."""

    format: Literal["text", "json"] = "text"   # json: one JSON object per line, for a log collector


class StorageSettings(Section):
    # Empty: the SQLite file at ``path``; postgresql://user:password@host:5432/db: PostgreSQL
    # (storage/open.py). It holds the password, so only SOUCHASTIE_STORAGE_URL in the environment.
    url: SecretStr | None = None
    pool_size: int = Field(10, ge=1, le=1000)               # PostgreSQL: connections one process opens at most
    connect_timeout_seconds: float = Field(10.0, gt=0)      # PostgreSQL: how long to wait for the server at start
    path: Path = Path("data/souchastie.db")
    attachments_dir: Path = Path("data/attachments")
    busy_timeout_ms: int = Field(5000, ge=0)
    synchronous: Literal["full", "normal"] = "normal"
    processed_update_retention_days: int = Field(30, ge=1)
    attachments_quota_mb: int = Field(2048, ge=1)        # residents' photos on disk at most; then refused
    attachments_grace_hours: float = Field(24.0, gt=0)   # a photo no row refers to is deleted this much later
    max_image_pixels: int = Field(50_000_000, ge=10_000, le=150_000_000)  # width × height a photo may declare (50 Mpx)
    # ``python -m bot db backup`` (bot/backup.py, storage/sqlite_backup.py): where, how many kept, how paced.
    backups_dir: str = ""                               # "" = a «backups» folder beside the database file
    backups_keep: int = Field(14, ge=1)                 # the newest kept; older ones deleted after a good backup
    backup_step_pages: int = Field(1024, ge=1)          # pages copied per step (4 MiB at SQLite's 4 KiB pages)
    backup_pause_seconds: float = Field(0.05, ge=0)     # pause between two steps, when the bot's writer may write
    backup_restarts: int = Field(3, ge=0)               # the copy started over this often: the rest in one step

    @property
    def backups_folder(self) -> Path:
        """Where ``db backup`` writes by default: ``backups_dir``, or «backups» beside the database."""
        return Path(self.backups_dir) if self.backups_dir else self.path.parent / "backups"

    def choice(self) -> StorageChoice:
        """Which database to open, and how (storage/open.py)."""
        return StorageChoice(path=self.path, url=self.url.get_secret_value() if self.url else "",
                             busy_timeout_ms=self.busy_timeout_ms, synchronous=self.synchronous,
                             pool_size=self.pool_size, connect_timeout_seconds=self.connect_timeout_seconds)


class InboxSettings(Section):
    """Stored events that were not processed (bot/core/dispatcher.py): retried while the bot runs."""

    retry_every_seconds: float = Field(30.0, gt=0)      # how often open rows are looked for and tried again
    retry_older_than_seconds: float = Field(10.0, ge=0)  # only rows stored (replies written) at least this long ago
    max_attempts: int = Field(5, ge=1, le=100)           # tries per event (the first included), then a dead letter


class ClusterSettings(Section):
    """Several bot processes on one database (bot/leadership.py): the work that runs once in the
    cluster (each long poll and broadcast sender per platform token, the scheduler) is held
    under a lease that its process renews every third of this; when that process dies, another
    takes the work over within this many seconds. A single bot takes every lease at once."""

    lease_seconds: float = Field(10.0, ge=0.3, le=600)


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
    Titled(key="surveys", title={"ru": "Срезы мнений", "en": "Opinion surveys", "zh": "意见调查",
                                 "mn": "Санал асуулга"}),
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
    similar_statuses: tuple[str, ...] = (ProposalStatus.IN_REVIEW, ProposalStatus.WITH_EXPERTS,
                                         ProposalStatus.ACCEPTED, ProposalStatus.PARTLY_ACCEPTED)
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
        allowed = (ProposalStatus.NEW, ProposalStatus.IN_REVIEW, ProposalStatus.WITH_EXPERTS, ProposalStatus.ACCEPTED,
                   ProposalStatus.PARTLY_ACCEPTED)
        unknown = [status for status in value if status not in allowed]
        if unknown:
            raise ValueError(f"similar_statuses: {', '.join(unknown)} нельзя показывать жителям;"
                             f" можно: {', '.join(allowed)}")
        return value


class SubscriptionSettings(Section):
    topics: tuple[Titled, ...] = DEFAULT_TOPICS


class PollSettings(Section):
    check_every_seconds: float = Field(30.0, gt=0)


class MapSettings(Section):
    """The picture of a map poll's numbered zones that messengers get (handlers/map_images.py)."""

    tile_url: str = ""                 # "https://tile.openstreetmap.org/{z}/{x}/{y}.png"; "" = a plain schematic
    attribution: str = "© OpenStreetMap contributors"  # printed on a picture drawn over the tiles
    user_agent: str = "Souchastie map pictures"  # tile servers (OpenStreetMap's) ask to be told who asks
    tile_timeout_seconds: float = Field(3.0, gt=0)  # one tile; a slower or failing server: the schematic
    image_width: int = Field(800, ge=200, le=2560)
    image_height: int = Field(600, ge=200, le=2560)
    max_zoom: int = Field(18, ge=1, le=19)      # the closest tile level used, however small the zones
    render_every_seconds: float = Field(60.0, gt=0)  # how often new map polls are looked for to draw


class EpisodeSettings(Section):
    grace_hours: float = Field(12.0, ge=0)          # a missed episode goes out this long after its air time
    check_every_seconds: float = Field(60.0, gt=0)  # how often new or moved episodes are looked for


class SurveySettings(Section):
    """Survey waves (handlers/survey_reminders.py) and how the panel shows them."""

    reminder_grace_hours: float = Field(24.0, ge=0)  # a wave's reminder goes out at most this long after it opened
    check_every_seconds: float = Field(60.0, gt=0)   # how often waves about to open are looked for and scheduled
    text_answers_shown: int = Field(20, ge=0, le=1000)  # per wave and question on the panel's survey page


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


DEFAULT_HELP_OPTIONS = (
    Titled(key="events", title={"ru": "Помогать на мероприятиях", "en": "Help at events", "zh": "在活动中帮忙",
                                "mn": "Арга хэмжээнд туслах"}),
    Titled(key="cleanup", title={"ru": "Субботники и благоустройство", "en": "Clean-ups and landscaping",
                                 "zh": "义务劳动和绿化", "mn": "Цэвэрлэгээ, тохижилт"}),
    Titled(key="expertise", title={"ru": "Советом специалиста", "en": "Professional advice", "zh": "专业建议",
                                   "mn": "Мэргэжлийн зөвлөгөө"}),
    Titled(key="spread", title={"ru": "Рассказать соседям", "en": "Spread the word", "zh": "告诉邻居",
                                "mn": "Хөршдөө хэлэх"}),
    Titled(key="sponsor", title={"ru": "Материалами или средствами", "en": "With materials or funds",
                                 "zh": "提供材料或资金", "mn": "Материал, хөрөнгөөр"}),
)


class DigestSettings(Section):
    """Reporting back (broadcasts/digests.py): each author's digest of what became of their proposals."""

    every_days: int = Field(7, ge=1, le=365)          # at most one digest per author in this many days
    hour: int = Field(18, ge=0, le=23)                # sent from this hour on, in project.time_zone
    check_every_seconds: float = Field(600.0, gt=0)   # how often authors with news are looked for
    max_proposals: int = Field(10, ge=1, le=50)       # proposals told of in one digest; the rest on asking
    batch: int = Field(500, ge=1, le=10_000)          # authors whose digests are written in one transaction
    page_size: int = Field(5, ge=1, le=20)            # proposals per page of «Что стало с моими идеями?»


class JoiningSettings(Section):
    """«Присоединяйтесь» (handlers/joining.py): what residents and organisations may offer."""

    help_options: tuple[Titled, ...] = DEFAULT_HELP_OPTIONS   # what one can help with; «другое» is always there
    name_max_length: int = Field(120, ge=10, le=500)          # a name or an organisation's name
    other_max_length: int = Field(300, ge=10, le=2000)        # «другое», in their words
    list_page_size: int = Field(50, ge=10, le=500)            # rows per page of the panel's list


class AdminSettings(Section):
    """The staff panel's login throttle; admin/throttle.py says why these numbers."""

    login_free_failures: int = Field(5, ge=1, le=1000)             # per name from one address, then delays
    login_address_free_failures: int = Field(100, ge=1)            # per address over all names, then delays
    login_first_delay_seconds: float = Field(1.0, gt=0)            # the first delay; doubled after each failure
    login_max_delay_seconds: float = Field(900.0, gt=0)            # the longest delay
    login_forget_hours: float = Field(24.0, gt=0)                  # a name's count from one address starts again
    login_address_forget_minutes: float = Field(60.0, gt=0)        # an address's count starts again


# A frame-ancestors source: 'self', 'none' or a site's origin (the same rule as webchat.frame_ancestors).


class PublicSettings(Section):
    """The public page at /public and its open-data feed (public/): what staff marked public,
    for anyone, and for the city's site to show in a frame."""

    enabled: bool = True
    embed_origins: tuple[str, ...] = Field(("'self'",), min_length=1)  # sites that may show /public in a frame
    page_size: int = Field(50, ge=1, le=500)             # proposals on one page of the list
    map_max_points: int = Field(1000, ge=0, le=50_000)   # the newest located proposals put on the map
    feed_max_rows: int = Field(100_000, ge=1)            # proposals in one GeoJSON or CSV download at most
    cache_seconds: int = Field(60, ge=0, le=86_400)      # Cache-Control max-age of the page and the feeds

    @field_validator("embed_origins", mode="before")
    @classmethod
    def _quoted(cls, value: Any) -> Any:
        return quoted_csp_sources(value)

    @field_validator("embed_origins")
    @classmethod
    def _sources(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return check_frame_ancestors(value, "embed_origins")


# The sources of the settings being loaded (load_settings); none else, ``Settings()`` is the defaults.
_SOURCES: ContextVar[tuple[PydanticBaseSettingsSource, ...]] = ContextVar("settings_sources", default=())


class ApplicationSettings(BaseSettings):
    """The application's own sections; ``Settings`` adds each registered channel's."""

    model_config = SettingsConfigDict(
        extra="forbid", frozen=True, validate_default=False, case_sensitive=True,
        env_prefix=ENV_PREFIX, env_nested_delimiter="_", env_nested_max_split=1)

    server: ServerSettings = ServerSettings()
    logging: LoggingSettings = LoggingSettings()
    admin: AdminSettings = AdminSettings()
    storage: StorageSettings = StorageSettings()
    inbox: InboxSettings = InboxSettings()
    cluster: ClusterSettings = ClusterSettings()
    project: ProjectSettings = ProjectSettings()
    privacy: PrivacySettings = PrivacySettings()
    languages: LanguageSettings = LanguageSettings()
    proposals: ProposalSettings = ProposalSettings()
    subscriptions: SubscriptionSettings = SubscriptionSettings()
    polls: PollSettings = PollSettings()
    maps: MapSettings = MapSettings()
    episodes: EpisodeSettings = EpisodeSettings()
    surveys: SurveySettings = SurveySettings()
    broadcasts: BroadcastSettings = BroadcastSettings()
    sms: SmsSettings = SmsSettings()
    posters: PosterSettings = PosterSettings()
    reports: ReportSettings = ReportSettings()
    public: PublicSettings = PublicSettings()
    digests: DigestSettings = DigestSettings()
    joining: JoiningSettings = JoiningSettings()

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


def settings_model(channels: Sequence[ChannelPackage]) -> type[ApplicationSettings]:
    """The application's sections, then one per channel, under the channel's name: config.yaml's
    ``vk:``, ``SOUCHASTIE_VK_…`` and ``settings.vk`` exist because the channel registered them."""
    names = [package.name for package in channels]
    if clash := sorted({name for name in names if names.count(name) > 1 or name in ApplicationSettings.model_fields}):
        raise ValueError(f"two sections named {', '.join(clash)}")
    sections: dict[str, Any] = {package.name: (package.settings, package.settings()) for package in channels}
    return create_model("Settings", __base__=ApplicationSettings, __module__=__name__, **sections)


if TYPE_CHECKING:
    class Settings(ApplicationSettings):
        def __getattr__(self, name: str) -> Any: ...  # a channel's section, by the channel's name
else:
    Settings = settings_model(CHANNELS)   # the registered channels (channels.CHANNELS)


def load_settings(path: Path | str | None = None, environ: Mapping[str, str] | None = None,
                  channels: Sequence[ChannelPackage] | None = None) -> Settings:
    """The settings from the defaults, ``path`` (config.yaml) over them, and ``environ`` over both;
    with the sections of ``channels`` when given, else of the registered ones."""
    path = Path(path) if path is not None else None
    model = Settings if channels is None else settings_model(channels)
    paths = file_settings(CHANNELS if channels is None else channels)
    file = ConfigFileSource(model, path, paths)
    environment = EnvironmentSource(model, os.environ if environ is None else environ, paths)
    token = _SOURCES.set((environment, file))
    try:
        return cast(Settings, model())
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
# typed in a shell, means from the current folder. A channel names its own (``file_settings``).
def file_settings(channels: Sequence[ChannelPackage]) -> tuple[str, ...]:
    return ("storage.path", "storage.attachments_dir", "storage.backups_dir",
            *(f"{package.name}.{key}" for package in channels for key in package.file_settings))


FILE_SETTINGS = file_settings(CHANNELS)
