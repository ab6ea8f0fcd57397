"""What a song is called in menus and lists: its title and artist (never the cache's hash),
with songs of the same name told apart by what differs between them (file, model, date)."""
from __future__ import annotations

import time


def song_label(manifest) -> str:
    return f"{manifest.title} — {manifest.artist}" if manifest.artist else manifest.title


def song_details(manifest, key: str = "") -> dict[str, str]:
    """What can tell two songs of one name apart, most telling first (the last resort is the
    id `woodshed cache list` shows)."""
    return {"file": manifest.original_name, "model": manifest.model,
            "separated": time.strftime("%Y-%m-%d %H:%M", time.localtime(manifest.created_s)),
            "id": key[:8]}


def told_apart(labels: list[str], details: list[dict[str, str]]) -> list[str]:
    """Each label, with "(…)" added where it appears more than once: the first detail that
    differs between the songs of that name."""
    groups: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(label, []).append(i)
    result = list(labels)
    for label, members in groups.items():
        if len(members) < 2:
            continue
        telling = [k for k in details[members[0]]
                   if len({details[i].get(k) for i in members}) == len(members)]
        differing = [k for k in details[members[0]] if len({details[i].get(k) for i in members}) > 1]
        keys = telling[:1] or differing
        for i in members:
            extra = ", ".join(details[i][k] for k in keys if details[i].get(k))
            if extra:
                result[i] = f"{label} ({extra})"
    return result
