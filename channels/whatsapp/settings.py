"""WhatsApp's section of the settings (``whatsapp:`` in config.yaml, ``SOUCHASTIE_WHATSAPP_…``).

The channel registers it in its package (``CHANNEL`` in ``__init__.py``); the application puts
it into ``Settings`` under the channel's name. Every field is described in config.yaml.
"""
from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr, field_validator

from bot.core.sections import Section


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
