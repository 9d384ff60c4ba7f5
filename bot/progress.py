"""The command line's progress bars, drawn by tqdm: ``[#####-----]`` in plain ASCII, words in Russian.

tqdm redraws a bar at most ``mininterval`` apart and wipes what a longer line before left
behind; the callers say what stands beside the bar by a ``bar_format`` that names their own
fields (``{done}``, ``{status}``…), the way tqdm's documentation extends its ``format_dict``.
The bar itself is ``#`` and ``-``, so a log or an old console shows it as well. A line is
never cut at the terminal's width (tqdm's default): the figures at its end are the point.
"""
from __future__ import annotations

from typing import Any, Callable, MutableMapping

from tqdm import tqdm

WIDTH = 30
FILL = "-#"  # tqdm's ASCII charset: an empty cell, then a full one (no partial cells)
CELLS = "{bar:%d}" % WIDTH  # put in a bar_format where the bar goes


class Bar(tqdm):
    """A tqdm bar whose ``bar_format`` may name the fields that ``fields(bar)`` returns."""

    monitor_interval = 0  # no watcher thread: every redraw comes from the call that moves the bar

    def __init__(self, *args: Any, fields: Callable[[Bar], dict[str, object]], **kwargs: Any) -> None:
        self.fields = fields
        super().__init__(*args, ascii=FILL, **kwargs)  # type: ignore[call-overload]  # tqdm's own arguments, passed on

    @property
    def format_dict(self) -> MutableMapping[str, Any]:
        shown = super().format_dict
        shown.update(self.fields(self), ncols=None)  # ncols None: the line is not cut to the terminal
        return shown


def line(done: int, total: int, bar_format: str, **fields: Any) -> str:
    """The bar as one line of text, without drawing it: for output that is not a terminal."""
    return tqdm.format_meter(done, total, 0, ascii=FILL, bar_format=bar_format, **fields)
