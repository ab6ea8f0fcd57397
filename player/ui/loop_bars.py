"""Saved loops in bars: "bars 33-40" as well as their times, and what a grid fix does to them.

What a musician expects when the grid is corrected after a loop was saved on its bar lines:
the loop keeps the MUSIC it holds, and stays on whole bars — the corrected grid's. A fix
corrects the numbering of the bars, not the recording: after "halve the tempo" the old
"bars 33-40" (eight bars of a double-time grid) are four real bars, 17-20, and the loop
should still play that chorus, not jump to whatever is now called bar 33, twice as far into
the song. After "this beat is beat 1" the old bar lines were a beat or two off: the loop was
meant to start on a one, so its edges move to the nearest corrected bar lines (and keep
their numbers when the numbering did not change). So each edge goes to the nearest bar line
of the corrected grid; on a tie (an old bar line half way through a new bar) the loop grows
to the whole bars around it rather than cut off music the musician chose. Loops that were not
on bar lines (drawn freely) keep their times: nothing says which bars they meant.
"""
from __future__ import annotations

import math
from dataclasses import replace

from .session import SavedLoop

ON_BAR_LINE_S = 0.02   # an edge this near a bar line is on it (snapped, typed, or F5-F8)


def bar_position(grid, time_s: float) -> float:
    """Fractional bar at time_s, in bar lines: 1.0 is where bar 1 starts."""
    return (grid.beat_position(time_s) - grid.first_downbeat) / grid.beats_per_bar + 1


def bars_of(grid, start_s: float, end_s: float) -> tuple[int, int] | None:
    """(first bar, last bar) a loop spans when both edges are on the grid's bar lines."""
    if grid is None:
        return None
    first, after = round(bar_position(grid, start_s)), round(bar_position(grid, end_s))
    if after <= first:
        return None
    if (abs(grid.bar_start_s(first) - start_s) > ON_BAR_LINE_S
            or abs(grid.bar_start_s(after) - end_s) > ON_BAR_LINE_S):
        return None
    return first, after - 1


def follow_grid(loop: SavedLoop, grid, duration_s: float) -> SavedLoop:
    """The saved loop on a (corrected) grid: unchanged if it still sits on its bars or was
    not saved in bars; else on the nearest bar lines of this grid (see the module doc)."""
    if grid is None or loop.bars is None:
        return loop
    if bars_of(grid, loop.start_s, loop.end_s) == loop.bars:
        return loop
    # Ties: the start rounds down, the end up (the loop grows to whole bars).
    first = math.floor(bar_position(grid, loop.start_s) + 0.5 - 1e-6)
    after = math.ceil(bar_position(grid, loop.end_s) - 0.5 + 1e-6)
    after = max(after, first + 1)
    start_s, end_s = grid.bar_start_s(first), grid.bar_start_s(after)
    if start_s < 0 or end_s > duration_s + ON_BAR_LINE_S:
        return replace(loop, bars=None)  # no whole bars of this grid fit: keep its times
    return replace(loop, start_s=round(start_s, 3), end_s=round(min(end_s, duration_s), 3),
                   bars=(first, after - 1))


def bars_text(bars: tuple[int, int] | None) -> str:
    if bars is None:
        return ""
    return f"bar {bars[0]}" if bars[0] == bars[1] else f"bars {bars[0]}–{bars[1]}"
