"""What SONG on the command line may be: a cached song folder, a folder of stems (imported on
the fly), or an audio file (separated first, once, with a progress bar).
"""
from __future__ import annotations

import contextlib
from pathlib import Path

from separation import cache
from separation.errors import UserError
from separation.manifest import MANIFEST_NAME


def open_song_argument(path: Path, model: str | None = None, model_repo: Path | None = None,
                       ) -> cache.CachedSong:
    path = Path(path).expanduser()
    if not path.exists():
        raise UserError(f"{path} does not exist")
    if path.is_dir():
        if (path / MANIFEST_NAME).is_file():
            return cache.open_song(path)
        return _import_stems(path)
    return _separate(path, model, model_repo)


def _import_stems(folder: Path) -> cache.CachedSong:
    """A folder of stems (one file each, or a rhythm game's song folder), as `woodshed import`."""
    from separation.importer import import_folder

    with _bar(f"importing {folder.name}", "frames") as progress:
        return import_folder(folder, progress=progress)


@contextlib.contextmanager
def _bar(description: str, unit: str):
    """A tqdm bar driven by progress(done, total) callbacks."""
    from tqdm import tqdm

    with tqdm(total=1, desc=description, unit=unit, unit_scale=True, dynamic_ncols=True,
              leave=False) as bar:
        def progress(done, total):
            bar.total = total
            bar.n = done
            bar.refresh()

        yield progress


def _separate(path: Path, model: str | None, model_repo: Path | None) -> cache.CachedSong:
    """Separated once, then found in the cache by the file's content."""
    from separation.separate import SeparationSettings, separate_song

    settings = SeparationSettings(model_repo=model_repo) if model is None else \
        SeparationSettings(model=model, model_repo=model_repo)
    with _bar(f"separating {path.name}", "seg") as progress:
        return separate_song(path, settings, progress=progress)
