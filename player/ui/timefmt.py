"""Times as musicians read them: m:ss.s (and h:mm:ss.s past an hour)."""
from __future__ import annotations


def format_time(seconds: float, decimals: int = 1) -> str:
    seconds = max(0.0, float(seconds))
    tenths = round(seconds * 10 ** decimals)
    whole, frac = divmod(tenths, 10 ** decimals)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    frac_text = f".{frac:0{decimals}d}" if decimals else ""
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}{frac_text}"
    return f"{minutes}:{secs:02d}{frac_text}"


def parse_time(text: str) -> float | None:
    """"1:23.456", "83.456", "1:02:03.5" -> seconds; None if it is not a time."""
    parts = text.strip().split(":")
    if not 1 <= len(parts) <= 3 or any(not p.strip() for p in parts):
        return None
    try:
        values = [float(p) for p in parts]
    except ValueError:
        return None
    if any(v < 0 for v in values) or any(v >= 60 for v in values[1:]):
        return None
    seconds = 0.0
    for v in values:
        seconds = seconds * 60 + v
    return seconds
