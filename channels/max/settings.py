"""MAX's section of the settings (``max:`` in config.yaml, ``SOUCHASTIE_MAX_…``).

The channel registers it in its package (``CHANNEL`` in ``__init__.py``); the application puts
it into ``Settings`` under the channel's name. Every field is described in config.yaml.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator

from bot.core.sections import Section, missing_token_or_secret


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
    uploaded_photos_kept: int = Field(256, ge=1)  # stored pictures whose MAX upload token is remembered
    requests_per_second: float = Field(30.0, gt=0)
    polls_per_second: float = Field(2.0, gt=0)
    max_connections: int = Field(100, ge=1)
    rate_limit_pause_seconds: float = Field(1.0, gt=0)  # a broadcast send answered 429 waits this long
    webhook_max_body_bytes: int = Field(1_048_576, ge=1024)  # a larger webhook body gets 413

    def missing_to_run(self) -> list[str]:
        return missing_token_or_secret(self.enabled, self.token, self.mode == "webhook", self.webhook_secret,
                                       "MAX", "SOUCHASTIE_MAX")

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
