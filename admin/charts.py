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


WAVE_COLOURS = ("#9bc5a3", "#3a7d44", "#1f4e2a", "#c9a227", "#8a5a00", "#5b6f95")  # light to dark: older first


def grouped_bar_chart(rows: Sequence[tuple[str, Sequence[float]]], series: Sequence[str], title: str = "",
                      unit: str = "") -> Markup:
    """One group of bars per label, one bar per series (a survey's waves, oldest first), all on
    one scale; the legend names the series. The page shows the same numbers in a table beside
    it, so the chart's text alternative is its title and a short description."""
    if not rows or not series:
        return Markup('<p class="muted">Пока нет данных.</p>')
    top = max((value for _, values in rows for value in values), default=0) or 1
    bar = ROW - 10
    group = bar * len(series) + 10
    legend = ROW
    height = legend + group * len(rows) + 8
    description = "; ".join(f"{label}: " + ", ".join(f"{name} — {value:g}{unit}" for name, value in zip(series, values))
                            for label, values in rows)
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%"'
             f' preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>" if title else "", f"<desc>{escape(description)}</desc>"]
    for index, name in enumerate(series):
        x = LABEL_WIDTH + index * 110
        parts.append(f'<rect x="{x}" y="4" width="14" height="14" fill="{WAVE_COLOURS[index % len(WAVE_COLOURS)]}"/>'
                     f'<text x="{x + 20}" y="16" font-size="13">{escape(name)}</text>')
    for row, (label, values) in enumerate(rows):
        top_y = legend + row * group
        short = label if len(label) <= 30 else label[:29] + "…"
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{top_y + group / 2 + 2:.1f}" text-anchor="end"'
                     f' font-size="13">{escape(short)}</text>')
        for index, value in enumerate(values):
            y = top_y + index * bar
            width = max(1.0, BAR_WIDTH * value / top) if value else 0
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y + 1}" width="{width:.1f}" height="{bar - 2}"'
                f' fill="{WAVE_COLOURS[index % len(WAVE_COLOURS)]}"/>'
                f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + bar - 4}" font-size="12">'
                f'{escape(f"{value:g}{unit}")}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
