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
