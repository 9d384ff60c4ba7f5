"""Horizontal bar charts as inline SVG: statistics readable without a JavaScript framework,
printable, and the same on a phone (the SVG scales to the width of the page).

Labels and numbers are escaped here (markupsafe), since the SVG is inserted into the page as
markup and labels come from residents' answers and staff's content.
"""
from __future__ import annotations

from typing import Sequence

from markupsafe import Markup, escape

ROW = 26
LABEL_WIDTH = 250
BAR_WIDTH = 300
WIDTH = LABEL_WIDTH + BAR_WIDTH + 70


def bar_chart(rows: Sequence[tuple[str, float]], title: str = "", unit: str = "") -> Markup:
    """One bar per (label, value), longest bar = the largest value; an empty chart says so."""
    if not rows:
        return Markup('<p class="muted">Пока нет данных.</p>')
    top = max((value for _, value in rows), default=0) or 1
    height = ROW * len(rows) + 8
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%"'
             f' preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>" if title else ""]
    for index, (label, value) in enumerate(rows):
        y = 4 + index * ROW
        width = max(1.0, BAR_WIDTH * value / top) if value else 0
        short = label if len(label) <= 30 else label[:29] + "…"
        number = f"{value:g}{unit}"
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 17}" text-anchor="end" font-size="13">{escape(short)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{width:.1f}" height="{ROW - 8}" fill="#3a7d44"/>'
            f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + 17}" font-size="13">{escape(number)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
