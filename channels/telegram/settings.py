"""Telegram's section of the settings (``telegram:`` in config.yaml, ``SOUCHASTIE_TELEGRAM_…``).

The channel registers it in its package (``CHANNEL`` in ``__init__.py``); the application puts
it into ``Settings`` under the channel's name. Every field is described in config.yaml.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator

from bot.core.sections import Section, missing_token_or_secret


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
    uploaded_photos_kept: int = Field(256, ge=1)  # stored pictures whose Telegram file_id is remembered

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
        return missing_token_or_secret(self.enabled, self.token, self.mode == "webhook", self.webhook_secret,
                                       "Telegram", "SOUCHASTIE_TELEGRAM")
