"""The generic gateway's section of the settings (``gateway:`` in config.yaml, ``SOUCHASTIE_GATEWAY_…``).

The channel registers it in its package (``CHANNEL`` in ``__init__.py``); the application puts
it into ``Settings`` under the channel's name. Every field is described in config.yaml.
"""
from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from bot.core.sections import Section


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
