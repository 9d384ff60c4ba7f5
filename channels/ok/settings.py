"""Odnoklassniki's section of the settings (``ok:`` in config.yaml, ``SOUCHASTIE_OK_…``).

The channel registers it in its package (``CHANNEL`` in ``__init__.py``); the application puts
it into ``Settings`` under the channel's name. Every field is described in config.yaml.
"""
from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from bot.core.sections import Section, check_networks


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
        return check_networks(value)
