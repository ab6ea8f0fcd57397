"""A speed as a musician types it into the tempo box: a percentage ("70", "70 %"), a ratio
("0.7x"), or the tempo to hear ("120 bpm", "=120"), which needs the song's own BPM."""
from __future__ import annotations

import math
import re

TEMPO_MIN_PERCENT = 25
TEMPO_MAX_PERCENT = 200
HOW = "type 70 (%), 0.7x or 120 bpm"

_NUMBER = r"(\d+(?:[.,]\d*)?|[.,]\d+)"
_FORMS = (  # (pattern, what the number is)
    (re.compile(rf"^{_NUMBER}\s*%?$"), "percent"),
    (re.compile(rf"^(?:{_NUMBER}\s*[x×]|[x×]\s*{_NUMBER})$"), "ratio"),
    (re.compile(rf"^(?:{_NUMBER}\s*bpm|=\s*{_NUMBER}(?:\s*bpm)?)$"), "bpm"),
)


def parse_speed(text: str, song_bpm: float | None) -> float:
    """The speed in percent; ValueError with one line for the musician when it is not one."""
    typed = text.strip()
    cleaned = typed.lower()
    for pattern, kind in _FORMS:
        match = pattern.match(cleaned)
        if match:
            number = float(next(g for g in match.groups() if g is not None).replace(",", "."))
            break
    else:
        raise ValueError(f"tempo: {HOW}, not {typed!r}" if typed else f"tempo: {HOW}")
    if kind == "ratio":
        percent = number * 100
    elif kind == "bpm":
        if not song_bpm:
            raise ValueError("tempo: this song has no BPM yet (tap it with T); type a "
                             "percentage like 70")
        percent = number / song_bpm * 100
        if not TEMPO_MIN_PERCENT <= round(percent, 1) <= TEMPO_MAX_PERCENT:
            raise ValueError(f"tempo: {number:g} BPM would be {percent:.0f} % of the song's "
                             f"{song_bpm:.0f} BPM; Woodshed plays {TEMPO_MIN_PERCENT} to "
                             f"{TEMPO_MAX_PERCENT} % ({song_bpm * TEMPO_MIN_PERCENT / 100:.0f} to "
                             f"{song_bpm * TEMPO_MAX_PERCENT / 100:.0f} BPM)")
    else:
        percent = number
    if not math.isfinite(percent) or not TEMPO_MIN_PERCENT <= round(percent, 1) <= TEMPO_MAX_PERCENT:
        raise ValueError(f"tempo: {typed} is out of range: {TEMPO_MIN_PERCENT} to "
                         f"{TEMPO_MAX_PERCENT} %")
    return round(percent, 1)
