"""Opening a song that is not separated yet: separation starts in the background."""
from __future__ import annotations

from pathlib import Path

from separation.errors import UserError


def start_separation(path: Path, device=None, with_engine: bool = True):
    try:
        from separation import separate  # noqa: F401
    except ImportError:
        raise UserError(f"{Path(path).name}: separating new songs is not available in this build yet; "
                        "open a song folder from the library, or the demo") from None
    raise UserError("separation is not wired into the window yet")
