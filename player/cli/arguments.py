"""Command-line values in a musician's notation: times "1:23.5", loops "1:23.5-1:41",
volumes "bass=-6", stem lists "bass,drums". Each parser raises UserError with one line.
"""
from __future__ import annotations

import math
import re

from woodshed.separation.errors import UserError

_TIME = re.compile(r"(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d*)?|\.\d+)")


def parse_time_s(text: str) -> float:
    """'83.5', '1:23.5' or '1:02:03' -> seconds."""
    m = _TIME.fullmatch(text.strip())
    if not m:
        raise UserError(f"not a time: {text!r} (write seconds like 83.5, or 1:23.5, or 1:02:03)")
    first, second, seconds = m.groups()
    hours, minutes = (first, second) if second is not None else (None, first)
    value_s = float(seconds) + 60 * int(minutes or 0) + 3600 * int(hours or 0)
    if (minutes is not None or hours is not None) and float(seconds) >= 60:
        raise UserError(f"not a time: {text!r} (seconds after a colon must be below 60)")
    if second is not None and int(second) >= 60:
        raise UserError(f"not a time: {text!r} (minutes after hours must be below 60)")
    return value_s


def parse_loop_s(text: str) -> tuple[float, float]:
    """'1:23.5-1:41' -> (83.5, 101.0); the end must come after the start."""
    start_text, dash, end_text = text.partition("-")
    if not dash or not start_text.strip() or not end_text.strip():
        raise UserError(f"not a loop: {text!r} (write START-END, like 1:23.5-1:41)")
    start_s, end_s = parse_time_s(start_text), parse_time_s(end_text)
    if end_s <= start_s:
        raise UserError(f"loop {text!r} ends before it starts")
    return start_s, end_s


def parse_gain(text: str) -> tuple[str, float]:
    """'bass=-6' -> ('bass', -6.0); '-inf' silences."""
    stem, equals, db_text = text.partition("=")
    stem = stem.strip()
    try:
        db = float(db_text)
    except ValueError:
        db = math.nan
    if not equals or not stem or math.isnan(db) or db == math.inf:
        raise UserError(f"not a volume: {text!r} (write STEM=DB, like bass=-6 or vocals=-inf)")
    return stem, db


def parse_stem_list(text: str) -> list[str]:
    """'bass, drums' -> ['bass', 'drums']."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise UserError(f"no stem names in {text!r} (write them like bass,drums)")
    return names


def check_stems(names, known: list[str], option: str) -> None:
    """Every name must be one of the song's stems; say which ones there are."""
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UserError(f"{option}: this song has no stem {unknown[0]!r} "
                        f"(its stems: {', '.join(known)})")


def format_time(seconds: float) -> str:
    """83.5 -> '1:23.5' (status line, messages)."""
    minutes, rest = divmod(max(0.0, seconds), 60)
    return f"{int(minutes)}:{rest:04.1f}"


def parse_count_in(text: str) -> int:
    """'1' -> 1: bars of count-in, 0 (off) to 4."""
    try:
        bars = int(text)
    except ValueError:
        bars = -1
    if not 0 <= bars <= 4:
        raise UserError(f"not a count-in: {text!r} (bars of count-in: 0, 1, 2, up to 4)")
    return bars


def parse_bar_range(text: str) -> tuple[int, int]:
    """'33-40' -> (33, 40): bars A to B inclusive, counted from 1."""
    first, dash, last = text.partition("-")
    try:
        a, b = int(first), int(last)
    except ValueError:
        a = b = 0
    if not dash or a < 1 or b < a:
        raise UserError(f"not a bar range: {text!r} (write FIRST-LAST, bars counted from 1, like 33-40)")
    return a, b


def parse_trainer(text: str) -> tuple[float, float, int, float]:
    """'0.6:0.05:2:1.0' -> (start, step, every, target): speeds as --tempo takes them."""
    parts = text.split(":")
    try:
        if len(parts) != 4:
            raise ValueError
        start, step, target = float(parts[0]), float(parts[1]), float(parts[3])
        every = int(parts[2])
        if not all(math.isfinite(v) for v in (start, step, target)):
            raise ValueError
    except ValueError:
        raise UserError(f"not a trainer: {text!r} (write START:STEP:EVERY:TARGET, like "
                        f"0.6:0.05:2:1.0 = from 60 %, +5 % every 2 passes, up to 100 %)") from None
    from woodshed.player.engine.trainer import SpeedTrainer

    SpeedTrainer(start, step, every, target)   # its own one-line errors for values out of range
    return start, step, every, target
