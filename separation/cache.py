"""The stem cache: one folder per (song file, model, settings), LRU-evicted under a size limit.

<root>/<key>/manifest.json, mix.wav, <stem>.wav ...   (key = hash of file bytes + model + settings)

A song folder appears whole or not at all: it is built under a temporary name and renamed.
After that, separation fills it in place, block by block, each step atomic (see manifest.py).

Cache commands touch only what Woodshed made: song folders (a 24-character key of hex digits
holding a manifest.json) and the build folders of its own interrupted runs
(.tmp-<key>-<pid>-…, removed once that process is gone). Any other file or folder someone
keeps beside them is left alone.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import song_lock, wavfile
from .atomic import write_text_atomic
from .errors import UserError, describe_os_error
from .manifest import MANIFEST_NAME, MIX_FILE, Manifest

log = logging.getLogger(__name__)

DEFAULT_LIMIT_BYTES = 20 * 10**9
HOLD_WAIT_S = 10.0  # an evictor holds a song's lock only while it removes it
_SETTINGS_FILE = "settings.json"
_TMP_PREFIX = ".tmp-"
KEY_PATTERN = re.compile(r"[0-9a-f]{24}")
# .tmp-<key>-<pid>-<random> (the pid is missing in folders made before it was added)
_BUILD_PATTERN = re.compile(r"\.tmp-(?P<key>[0-9a-f]{24})-(?:(?P<pid>\d+)-)?[a-z0-9_]+")
_PIDLESS_BUILD_AGE_S = 24 * 3600  # an older Woodshed's build folder: surely dead after a day


def cache_root() -> Path:
    """WOODSHED_CACHE_DIR, else the per-OS user cache folder."""
    env = os.environ.get("WOODSHED_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("woodshed", appauthor=False)) / "stems"


def ensure_root(root: Path | None = None) -> Path:
    root = Path(root) if root is not None else cache_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=root, prefix=".probe-", delete=True)
        probe.close()
    except OSError as exc:
        raise UserError(f"cannot write to the stem cache {root}: {describe_os_error(exc, '')}"
                        " (set WOODSHED_CACHE_DIR to another folder)") from None
    clean_leftovers(root)  # what killed runs left: GBs, cleaned the next time we write
    return root


def file_hash(path: Path) -> str:
    """sha256 of a file's bytes: the same song renamed or moved keeps its stems."""
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for buf in iter(lambda: f.read(1 << 20), b""):
            sha.update(buf)
    return sha.hexdigest()


def song_key(source_hash: str, model: str, settings: dict) -> str:
    tag = json.dumps({"model": model, **settings}, sort_keys=True)
    return hashlib.sha256(f"{source_hash}\n{tag}".encode()).hexdigest()[:24]


@dataclass
class CachedSong:
    dir: Path
    manifest: Manifest
    _in_use: song_lock.Lock | None = field(default=None, repr=False, compare=False)

    @property
    def key(self) -> str:
        return self.dir.name

    @property
    def mix_path(self) -> Path:
        return self.dir / MIX_FILE

    def stem_path(self, name: str) -> Path:
        return self.dir / Manifest.stem_file(name)

    def reload(self) -> "CachedSong":
        self.manifest = Manifest.load(self.dir)
        return self

    def size_bytes(self) -> int:
        """Bytes of the song's files (a file removed meanwhile counts 0, never an error)."""
        return folder_bytes(self.dir)

    def last_used_s(self) -> float:
        try:
            return (self.dir / MANIFEST_NAME).stat().st_mtime
        except OSError:  # removed meanwhile (another process): the oldest of all
            return 0.0

    def touch(self) -> None:
        """Mark as just used, for least-recently-used eviction."""
        with contextlib.suppress(OSError):
            os.utime(self.dir / MANIFEST_NAME)

    def remember_source(self, song_path) -> None:
        """Keep where the song file (or stem folder) is now: it may have moved since it was
        separated, and the Library mends or resumes the song from there. By the song's one
        writer only; a cache it cannot write keeps the old path."""
        where = source_path_of(song_path)
        if self.manifest.source_path != where:
            self.manifest.source_path = where
            try:
                self.manifest.save(self.dir)
            except OSError as exc:
                log.info("cannot note where %s is now (%s)", self.dir, exc)

    def hold(self) -> "CachedSong":
        """Mark the song in use by this process (playing, exporting, separating) until
        release() or the process's end: no Woodshed process evicts or removes it meanwhile.
        Also marks it as just used. A UserError if it was removed before it could be held."""
        if self._in_use is None:
            lock = song_lock.use_lock(self.dir.parent, self.key)
            try:
                held = lock.acquire(shared=True, timeout_s=HOLD_WAIT_S)
            except OSError as exc:  # a read-only cache: nobody can remove the song either
                log.info("cannot lock %s (%s): using it unlocked", self.dir, exc)
                held = False
            if held:
                self._in_use = lock
            if not (self.dir / MANIFEST_NAME).is_file():
                self.release()
                raise UserError(f"{self.manifest.title}: its stems were just removed from the "
                                "cache (open the song file again to separate it)")
        self.touch()
        return self

    def release(self) -> None:
        """This process no longer uses the song (see hold)."""
        lock, self._in_use = self._in_use, None
        if lock is not None:
            lock.release()


def in_cache(song_dir: Path, root: Path | None = None) -> bool:
    """Whether song_dir is a song folder of the stem cache (not a copy kept elsewhere, which
    Woodshed only reads: it never writes outside folders it made)."""
    try:
        return Path(song_dir).resolve().parent == (Path(root) if root else cache_root()).resolve()
    except OSError:
        return False


def source_path_of(song_path) -> str:
    """A song file's (or stem folder's) absolute path, as the manifest keeps it."""
    return str(Path(song_path).expanduser().absolute())


def open_song(song_dir: Path, check: bool = True) -> CachedSong:
    """The cached song in song_dir; UserError (one line) if it cannot be read or, with check,
    if one of its files is damaged (see damage.py: sizes and headers, no audio read)."""
    try:
        song = CachedSong(Path(song_dir), Manifest.load(song_dir))
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise UserError(f"{song_dir} is not a readable Woodshed song folder ({exc})") from None
    if check:
        from . import damage

        damage.check_or_fail(song)
    return song


def find(key: str, root: Path | None = None) -> CachedSong | None:
    d = (Path(root) if root else cache_root()) / key
    if not (d / MANIFEST_NAME).is_file():
        return None
    try:
        return CachedSong(d, Manifest.load(d))
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


def list_songs(root: Path | None = None) -> list[CachedSong]:
    root = Path(root) if root else cache_root()
    if not root.is_dir():
        return []
    songs = []
    for d in sorted(root.iterdir()):
        if d.name.startswith(".") or not d.is_dir():
            continue
        song = find(d.name, root)
        if song is not None:
            songs.append(song)
    return songs


def unreadable_songs(root: Path | None = None) -> list[tuple[Path, str]]:
    """Song folders whose manifest cannot be read, with why (list_songs leaves them out)."""
    root = Path(root) if root else cache_root()
    found = []
    try:
        folders = sorted(d for d in root.iterdir() if is_song_folder(d)) if root.is_dir() else []
    except OSError:
        return found
    for d in folders:
        try:
            Manifest.load(d)
        except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            found.append((d, " ".join(str(exc).split())))
    return found


def is_song_folder(path: Path) -> bool:
    """A song folder Woodshed made: a key-shaped name and a manifest inside."""
    path = Path(path)
    return bool(KEY_PATTERN.fullmatch(path.name)) and (path / MANIFEST_NAME).is_file()


def in_use(song: CachedSong) -> bool:
    """Whether any Woodshed process (this one included) has the song open."""
    with song_lock.use_lock(song.dir.parent, song.key) as lock:
        try:
            return not lock.try_acquire()
        except OSError:
            return False


def _remove_folder(folder: Path) -> None:
    """Remove a folder Woodshed made, all or nothing as far as readers see: it is renamed
    away first (one step that fails on a read-only cache before anything is lost)."""
    trash = folder.with_name(f"{_TMP_PREFIX}{folder.name}-{os.getpid()}-removing")
    os.rename(folder, trash)
    shutil.rmtree(trash, ignore_errors=True)


def remove(song: CachedSong) -> None:
    """Remove one song's folder; UserError (one line) if a Woodshed process is using it or
    the cache does not allow it."""
    if not is_song_folder(song.dir):
        raise UserError(f"{song.dir} is not a song folder Woodshed made: left alone")
    with song_lock.use_lock(song.dir.parent, song.key) as lock:
        try:
            free = lock.try_acquire()
        except OSError:  # no lock can be had in a read-only cache; the rename below says why
            free = True
        if not free:
            raise UserError(f"{song.manifest.title} is in use (Woodshed is playing, exporting or "
                            "separating it): close it first")
        try:
            _remove_folder(song.dir)
        except OSError as exc:
            raise UserError(f"cannot remove {song.dir}: {describe_os_error(exc, '')}") from None


def leftover_builds(root: Path | None = None) -> list[Path]:
    """Build folders of separations and imports that were killed (their process is gone)."""
    from .processes import process_alive

    root = Path(root) if root else cache_root()
    found = []
    try:
        entries = list(root.iterdir()) if root.is_dir() else []
    except OSError:
        return found
    for d in entries:
        m = _BUILD_PATTERN.fullmatch(d.name)
        if m is None or not d.is_dir():
            continue
        if m.group("pid") is not None:
            stale = not process_alive(int(m.group("pid")))
        else:
            try:
                stale = d.stat().st_mtime < time.time() - _PIDLESS_BUILD_AGE_S
            except OSError:
                continue
        if stale:
            found.append(d)
    return found


def clean_leftovers(root: Path | None = None) -> int:
    """Remove what killed runs left in the cache; returns the bytes freed. Quietly does
    nothing where the cache cannot be written (the next run that can will)."""
    freed = 0
    for d in leftover_builds(root):
        size = folder_bytes(d)
        shutil.rmtree(d, ignore_errors=True)
        if not d.exists():
            freed += size
    return freed


def builds_in_progress_bytes(root: Path | None = None) -> int:
    """Bytes held by build folders (running separations and imports, or killed ones not yet
    cleaned): they count against the disk like any song."""
    root = Path(root) if root else cache_root()
    try:
        return sum(folder_bytes(d) for d in root.iterdir()
                   if _BUILD_PATTERN.fullmatch(d.name) and d.is_dir())
    except OSError:
        return 0


def folder_bytes(folder: Path) -> int:
    """Bytes of the files under folder (0 for what cannot be read)."""
    total = 0
    for dirpath, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def clear(root: Path | None = None) -> tuple[list[Path], list[Path]]:
    """Remove every cached song no Woodshed process is using, and the leftovers of killed
    runs; returns (song folders removed, song folders kept because in use). UserError when
    some could not be removed (saying how many were)."""
    root = Path(root) if root else cache_root()
    removed, kept, failed = [], [], None
    try:
        folders = sorted(d for d in root.iterdir() if is_song_folder(d)) if root.is_dir() else []
    except OSError as exc:
        raise UserError(f"cannot read the stem cache {root}: {describe_os_error(exc, '')}") from None
    for d in folders:
        song = find(d.name, root)
        if song is not None and in_use(song):
            kept.append(d)
            continue
        try:
            _remove_folder(d)
            removed.append(d)
        except OSError as exc:
            failed = failed or exc
    clean_leftovers(root)
    if failed is not None:
        raise UserError(f"removed {len(removed)} of {len(folders)} songs from {root}: "
                        f"{describe_os_error(failed, '')}")
    return removed, kept


# --- size limit ------------------------------------------------------------
def _settings_path(root: Path) -> Path:
    return root / _SETTINGS_FILE


def size_limit_bytes(root: Path | None = None) -> int:
    env = os.environ.get("WOODSHED_CACHE_LIMIT")
    if env:
        return parse_size(env)
    root = Path(root) if root else cache_root()
    try:
        limit = json.loads(_settings_path(root).read_text(encoding="utf-8"))["limit_bytes"]
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
        return DEFAULT_LIMIT_BYTES
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        log.warning("cache settings: impossible limit %r, using the default", limit)
        return DEFAULT_LIMIT_BYTES
    return limit


def set_size_limit(limit_bytes: int, root: Path | None = None) -> None:
    root = ensure_root(root)
    write_text_atomic(_settings_path(root), json.dumps({"format": 1, "limit_bytes": int(limit_bytes)}))


def format_size(size_bytes: float) -> str:
    """1.2e9 -> '1.20 GB', 2.6e6 -> '2.6 MB' (decimal units, as parse_size reads them)."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size_bytes >= scale:
            return f"{size_bytes / scale:.{2 if unit in ('TB', 'GB') else 1}f} {unit}"
    return f"{int(size_bytes)} bytes"


def parse_size(text: str) -> int:
    """'20GB', '500 MB', '1.5G', '1000B' -> bytes (decimal units). A bare number is refused:
    `limit 20` meant as 20 GB must not become 20 bytes and empty the cache."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kKmMgGtT]?[bB]?)\s*", text)
    if not m:
        raise UserError(f"not a size: {text!r} (try 20GB or 500MB)")
    if not m.group(2):
        raise UserError(f"a size needs a unit: {text!r} (write {m.group(1)}GB or {m.group(1)}MB)")
    prefix = m.group(2).lower().rstrip("b")
    scale = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}[prefix]
    return int(float(m.group(1)) * scale)


def over_limit(limit_bytes: int, keep: set[str] = frozenset(),
               root: Path | None = None) -> list[tuple[CachedSong, int]]:
    """The songs (with their sizes), least recently used first, that must go for the cache to
    fit limit_bytes; never those in keep, never folders Woodshed did not make."""
    root = Path(root) if root else cache_root()
    songs = sorted((s for s in list_songs(root) if is_song_folder(s.dir)),
                   key=CachedSong.last_used_s)
    sizes = {s.key: s.size_bytes() for s in songs}
    total = sum(sizes.values())
    going = []
    for song in songs:
        if total <= limit_bytes:
            break
        if song.key in keep or in_use(song):  # in use by some Woodshed process: never evicted
            continue
        total -= sizes[song.key]
        going.append((song, sizes[song.key]))
    return going


def evict(keep: set[str] = frozenset(), root: Path | None = None,
          limit_bytes: int | None = None) -> list[CachedSong]:
    """Remove least-recently-used songs until the cache fits its limit; never those in keep.
    Returns the songs really removed (one that cannot be removed stays, quietly)."""
    root = Path(root) if root else cache_root()
    limit = size_limit_bytes(root) if limit_bytes is None else limit_bytes
    removed = []
    for song, _ in over_limit(limit, keep, root):
        try:
            remove(song)
            removed.append(song)
        except UserError:
            pass
    return removed


# --- building a song folder ----------------------------------------------
@contextlib.contextmanager
def building(key: str, root: Path | None = None):
    """Yield a temporary folder to fill; on success it becomes <root>/<key> in one rename.

    If the song appeared meanwhile (another process), the existing folder wins.
    """
    root = ensure_root(root)
    tmp = Path(tempfile.mkdtemp(prefix=f"{_TMP_PREFIX}{key}-{os.getpid()}-", dir=root))
    try:
        yield tmp
        os.chmod(tmp, 0o755)
        final = root / key
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / MANIFEST_NAME).is_file():
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(f"cannot write to the stem cache: {describe_os_error(exc)}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextlib.contextmanager
def scratch(key: str, root: Path) -> Path:
    """A temporary folder in the cache for work on song ``key``, removed afterwards (and, if
    the process is killed meanwhile, by the next run: it is named like a build folder)."""
    tmp = Path(tempfile.mkdtemp(prefix=f"{_TMP_PREFIX}{key}-{os.getpid()}-", dir=root))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_song(key: str, stems: dict[str, np.ndarray], sample_rate: int, *, title: str,
               original_name: str, source_hash: str, model: str, settings: dict | None = None,
               mix: np.ndarray | None = None, artist: str | None = None,
               root: Path | None = None) -> CachedSong:
    """Store complete stems (each (channels, frames) float32, equal shapes) as a cached song.

    Used by import and by tests; the mix defaults to the sum of the stems.
    """
    shapes = {a.shape for a in stems.values()}
    if len(shapes) != 1:
        raise ValueError(f"stems differ in shape: {shapes}")
    channels, frames = shapes.pop()
    if mix is None:
        mix = np.sum(list(stems.values()), axis=0, dtype=np.float32)
    manifest = Manifest(title=title, original_name=original_name, source_hash=source_hash,
                        model=model, settings=settings or {}, sample_rate=sample_rate,
                        channels=channels, frames=frames, sources=list(stems),
                        block_starts=[0], blocks_done=[True], artist=artist)
    with building(key, root) as tmp:
        wavfile.write_whole(tmp / MIX_FILE, mix, sample_rate)
        manifest.set_peaks("mix", 0, mix)
        for name, audio in stems.items():
            wavfile.write_whole(tmp / Manifest.stem_file(name), audio, sample_rate)
            manifest.set_peaks(name, 0, audio)
        manifest.save(tmp)
    root = Path(root) if root else cache_root()
    return CachedSong(root / key, manifest)
