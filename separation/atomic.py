"""Writes that are all-or-nothing: a temporary name in the same folder, then a rename.

The temporary file is ``.<name>.<pid>.<random>.part``: a run killed half way leaves one behind,
and the next write of the same file removes it once that process is gone
(remove_stale_parts), so a killed export leaves nothing in the musician's folder for long.
"""
from __future__ import annotations

import contextlib
import glob
import os
import re
import tempfile
from pathlib import Path

from .processes import process_alive

_PART = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d+)\.[^.]+\.part")


@contextlib.contextmanager
def atomic_path(final: Path):
    """Yield a temporary path beside ``final``; on success rename it over ``final``.

    On any error the temporary file is removed and ``final`` is untouched, so a reader
    sees either the old file or the new one, never half of one.
    """
    final = Path(final)
    remove_stale_parts(final.parent, final.name)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.{os.getpid()}.", suffix=".part",
                               dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)  # mkstemp makes it private; stems are for DAWs too
        os.replace(tmp_path, final)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def write_text_atomic(final: Path, text: str) -> None:
    with atomic_path(final) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())


def remove_stale_parts(folder: Path, name: str | None = None) -> list[Path]:
    """Remove the temporary files of killed writes in folder (of ``name`` only, if given);
    those of running processes stay. Returns what was removed."""
    removed = []
    try:
        candidates = list(Path(folder).glob(f".{glob.escape(name)}.*.part" if name else ".*.part"))
    except OSError:
        return removed
    for path in candidates:
        m = _PART.fullmatch(path.name)
        if m is None or (name is not None and m.group("name") != name):
            continue
        if not process_alive(int(m.group("pid"))):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def set_aside(path: Path, why: str = "unreadable") -> Path | None:
    """Keep a file this Woodshed cannot use (a newer Woodshed's, a damaged one) under another
    name beside it, ``NAME.WHY`` (``NAME.WHY-2``…), so that the fresh one written in its place
    never destroys it. The new path, or None if it could not be moved (then it stays)."""
    path = Path(path)
    aside = path.with_name(f"{path.name}.{why}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.{why}-{n}")
    try:
        os.rename(path, aside)
    except OSError:
        return None
    return aside
