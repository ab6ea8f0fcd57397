"""One colour per instrument, the same in its lane, its strip and its meter; none of them
the loop's yellow (waveform.LOOP_RGB), so the loop reads as the loop over any lane."""
from __future__ import annotations

_BY_NAME = {
    "drums": "#f0883e",
    "bass": "#8b7cf6",
    "piano": "#3fb950",
    "guitar": "#ff7b72",
    "vocals": "#f778ba",
    "lead": "#f778ba",
    "other": "#56d4dd",
    "mix": "#9aa4b2",
}
_SPARE = ["#79c0ff", "#d2a8ff", "#ffa198", "#7ee787", "#39d3a5"]


def stem_colour(name: str, index: int = 0) -> str:
    return _BY_NAME.get(name, _SPARE[index % len(_SPARE)])
