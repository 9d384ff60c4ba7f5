"""Resident-facing texts from locale files: ``<language>.yaml``, one per language.

A new language is a new file beside the others; a key missing from it falls back to the
default language, so a half-translated file still works. Plain YAML with ``str.format`` fields
rather than gettext or Fluent: the texts are written by municipal staff, who edit a YAML file
more safely than a .po catalogue, and no text here needs plural rules (we phrase around them).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.core.yaml_reading import safe_load


class Texts:
    def __init__(self, catalogues: dict[str, dict[str, str]], default: str) -> None:
        if default not in catalogues:
            raise ValueError(f"no locale file for the default language {default!r}")
        self._catalogues = catalogues
        self.default = default

    @classmethod
    def load(cls, folder: Path, default: str) -> "Texts":
        catalogues = {}
        for path in sorted(Path(folder).glob("*.yaml")):
            data = safe_load(path.read_text(encoding="utf-8")) or {}
            catalogues[path.stem] = _flatten(data)
        return cls(catalogues, default)

    @property
    def languages(self) -> list[str]:
        """Languages in display order: the default first."""
        return [self.default] + sorted(lang for lang in self._catalogues if lang != self.default)

    def keys(self, language: str) -> set[str]:
        return set(self._catalogues[language])

    def resolve(self, language: str) -> str:
        return language if language in self._catalogues else self.default

    def get(self, language: str, key: str, /, **fields: Any) -> str:
        template = self._catalogues.get(language, {}).get(key)
        if template is None:
            template = self._catalogues[self.default][key]
        return template.format(**fields) if fields else template


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{dotted}."))
        else:
            flat[dotted] = str(value).rstrip("\n")
    return flat
