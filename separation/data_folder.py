"""Woodshed's data folder (per OS, or WOODSHED_DATA_DIR): what the musician made and must not
lose when the cache evicts a song — sessions, grid fixes, MIDI bindings, window settings, the
log. Apart from the cache, which holds only what can be made again."""
from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    env = os.environ.get("WOODSHED_DATA_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("woodshed", appauthor=False))
