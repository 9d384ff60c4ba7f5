"""What a section of the settings is, for whoever owns one (a channel, a feature, the application).

A section is a frozen pydantic model that refuses unknown keys, so a misspelt key in config.yaml
or the environment is an error naming it rather than a setting silently not applied. The
application assembles the sections into one ``Settings`` (``bot/config.py``); a section only
says what its own keys are.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_networks(value: tuple[str, ...]) -> tuple[str, ...]:
    """Every item an address or a network (a.b.c.d/nn, IPv6 too)."""
    for item in value:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError as error:
            raise ValueError(f"{item!r} — не адрес и не сеть (a.b.c.d/nn)") from error
    return value


def missing_token_or_secret(enabled: bool, token: SecretStr | None, webhooks: bool, secret: SecretStr | None,
                            title: str, variables: str) -> list[str]:
    """What a messenger run with a token, by long polling or webhooks, lacks to start: its token,
    and in webhook mode the secret the platform sends back (``variables``: SOUCHASTIE_<NAME>)."""
    if not (enabled or token is not None):
        return []
    missing = [] if token is not None else [f"{variables}_TOKEN"]
    if webhooks and secret is None:
        missing.append(f"{variables}_WEBHOOK_SECRET")
    return [f"канал {title} включён, но не задано: {', '.join(missing)}"] if missing else []


# A CSP frame-ancestors source a town may name: 'self', 'none' or a site's address.
FRAME_ANCESTOR = r"^('self'|'none'|https?://(\*\.)?[A-Za-z0-9.\-]+(:[0-9]{1,5})?)\Z"


def quoted_csp_sources(value: Any) -> Any:
    """YAML reads ['self'] as the word self: the quotes CSP wants are put back."""
    if isinstance(value, (list, tuple)):
        return tuple(f"'{item}'" if item in ("self", "none") else item for item in value)
    return value


def check_frame_ancestors(value: tuple[str, ...], setting: str) -> tuple[str, ...]:
    """The sites that may show a page in a frame, each one CSP understands; Russian errors."""
    for item in value:
        if not re.match(FRAME_ANCESTOR, item):
            raise ValueError(f"{item!r}: напишите 'self', 'none' или адрес сайта, например https://city.example.ru")
    if "'none'" in value and len(value) > 1:
        raise ValueError(f"'none' нельзя сочетать с другими {setting}")
    return value

