"""The open data: the public proposals as GeoJSON (RFC 7946: longitude first; a proposal without a
place has a null geometry) and as CSV for Excel (UTF-8 with a byte-order mark, so Excel reads
Cyrillic; one header row of FIELDS)."""
from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterable

from public.shown import FIELDS

BOM = "\ufeff"


def geojson(rows: Iterable[dict[str, Any]]) -> str:
    features = []
    for row in rows:
        placed = row["latitude"] is not None and row["longitude"] is not None
        geometry = {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]} if placed else None
        features.append({"type": "Feature", "id": row["number"], "geometry": geometry,
                         "properties": {name: row[name] for name in FIELDS}})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def csv_text(rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for row in rows:
        writer.writerow(["" if row[name] is None else _safe(row[name]) for name in FIELDS])
    return out.getvalue()


def _safe(value: Any) -> Any:
    """A cell that starts with = + - @ is a formula to Excel: an apostrophe before it keeps a
    resident's text text (OWASP's advice for CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
