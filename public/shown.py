"""A public proposal as people read it, in one language: its number (the receipt its author was
given), category and status titles, the town's dates. The page, the GeoJSON and the CSV all show
these same fields (FIELDS, documented in the README), so the three never disagree."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.config import Settings
from bot.core.i18n import Texts
from storage.ports.public import PublicProposal

# The open data's fields, in the CSV's column order; GeoJSON has them as a feature's properties.
FIELDS = ("number", "category", "category_title", "status", "status_title", "text", "answer", "address",
          "latitude", "longitude", "created", "updated", "supports")


@dataclass(frozen=True)
class Describer:
    settings: Settings
    texts: Texts

    def category(self, key: str, language: str) -> str:
        found = next((c for c in self.settings.proposals.categories if c.key == key), None)
        return found.title_in(language, self.texts.default) if found else key

    def status(self, key: str, language: str) -> str:
        try:
            return self.texts.get(language, f"status.{key}")
        except KeyError:  # a status the locale files do not name yet
            return key

    def number(self, proposal_id: int) -> str:
        return f"{self.settings.proposals.receipt_prefix}{proposal_id}"

    def date(self, stamp: str) -> str:
        return self.settings.project.clock.text(stamp, "%Y-%m-%d")

    def fields(self, proposal: PublicProposal, language: str) -> dict[str, Any]:
        return {
            "number": self.number(proposal.id),
            "category": proposal.category,
            "category_title": self.category(proposal.category, language),
            "status": proposal.status,
            "status_title": self.status(proposal.status, language),
            "text": proposal.text,
            "answer": proposal.answer,
            "address": proposal.address,
            "latitude": proposal.latitude,
            "longitude": proposal.longitude,
            "created": self.date(proposal.created_at),
            "updated": self.date(proposal.updated_at),
            "supports": proposal.supports,
        }
