"""The default model's weights, fetched on first use: with progress, resumable, checksummed.

demucs lists its pretrained models in its own package (``demucs/remote``: one YAML per
named model, naming the signatures of its weight files, and ``files.txt``, mapping each
signature to a file called ``<signature>-<first hex digits of its sha256>.th`` under its
download root). We read that catalogue and root URL from demucs at run time, download the
files into our own models folder, laid out as a demucs local repository, and load from
there through demucs' own loader. So:

- a broken download resumes (HTTP Range) from the ``.download`` file it left;
- a file is checked against the sha256 digits in its name before it takes its final name,
  and again before every load (demucs' LocalRepo does that too): a damaged or partial file is
  never loaded; it is deleted, downloaded again, and the message says so;
- offline, the error says what to do (connect once, or pick a folder of weights).

WOODSHED_MODELS_DIR moves the folder; WOODSHED_MODEL_URL (a mirror of demucs' download root)
and WOODSHED_MODEL_CATALOGUE (a folder laid out like ``demucs/remote``) are for mirrors and
tests.
"""
from __future__ import annotations

import hashlib
import http.client
import logging
import os
import shutil
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .errors import UserError, describe_os_error

log = logging.getLogger(__name__)

PARTIAL_SUFFIX = ".download"
# What a dropped or refused connection raises (a full disk is an OSError too, but not one of these).
NETWORK_ERRORS = (urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException)
CHUNK_BYTES = 1 << 16
ATTEMPTS = 4             # a dropped connection is resumed this many times before giving up
TIMEOUT_S = 30.0
RETRY_PAUSE_S = 1.0


@dataclass(frozen=True)
class WeightsFile:
    name: str             # "<signature>-<sha256 prefix>.th", as demucs names it
    url: str
    sha256_prefix: str


@dataclass(frozen=True)
class DownloadProgress:
    """Told while weights download: bytes so far of all the model's files, and what happened."""
    model: str
    done_bytes: int
    total_bytes: int | None
    note: str = ""        # e.g. "a damaged copy was deleted: downloading it again"


class DownloadCancelled(Exception):
    pass


Progress = Callable[[DownloadProgress], None]


def models_dir() -> Path:
    env = os.environ.get("WOODSHED_MODELS_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("woodshed", appauthor=False)) / "models"


def _catalogue() -> tuple[Path, str]:
    """(folder of model YAMLs and files.txt, download root URL): demucs' own, unless overridden."""
    from demucs import pretrained

    folder = os.environ.get("WOODSHED_MODEL_CATALOGUE")
    root = os.environ.get("WOODSHED_MODEL_URL")
    return (Path(folder) if folder else pretrained.REMOTE_ROOT,
            (root.rstrip("/") + "/") if root else pretrained.ROOT_URL)


def downloadable(name: str) -> bool:
    """Whether ``name`` is a named model in the catalogue (so this module fetches it)."""
    folder, _ = _catalogue()
    return (folder / f"{name}.yaml").is_file()


def weights_files(name: str) -> list[WeightsFile]:
    """The files model ``name`` needs, with their URLs, as demucs' catalogue lists them."""
    import yaml

    folder, root_url = _catalogue()
    bag = yaml.safe_load((folder / f"{name}.yaml").read_text())
    prefix, urls = "", {}
    for line in (folder / "files.txt").read_text().splitlines():  # demucs' own format
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("root:"):
            prefix = line.split(":", 1)[1].strip()
        else:
            urls[line.split("-", 1)[0]] = (line, root_url + prefix + line)
    files = []
    for signature in bag["models"]:
        if signature not in urls:
            raise UserError(f"model {name!r}: demucs lists no weights file for {signature}")
        file_name, url = urls[signature]
        files.append(WeightsFile(file_name, url, Path(file_name).stem.rsplit("-", 1)[1]))
    return files


def sha256_matches(path: Path, prefix: str) -> bool:
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for buf in iter(lambda: f.read(1 << 20), b""):
            sha.update(buf)
    return sha.hexdigest().startswith(prefix.lower())


def missing_files(name: str, folder: Path | None = None) -> list[WeightsFile]:
    """The files of ``name`` not yet (completely and intact) in the models folder."""
    folder = folder or models_dir()
    return [f for f in weights_files(name) if not (folder / f.name).is_file()]


def ensure_model(name: str, progress: Progress | None = None,
                 cancelled: Callable[[], bool] = lambda: False) -> Path:
    """The models folder, holding model ``name`` checked and complete (downloading what is
    missing or damaged). Raises UserError (offline, damaged twice, disk full) or
    DownloadCancelled (the partial file stays, to resume)."""
    folder = models_dir()
    catalogue_dir, _ = _catalogue()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        files = weights_files(name)
        notes = []
        for f in files:
            path = folder / f.name
            if path.is_file() and not sha256_matches(path, f.sha256_prefix):
                path.unlink()
                notes.append(f"the copy of {f.name} on disk was damaged (checksum mismatch): "
                             "deleted, downloading it again")
                log.info("%s", notes[-1])
        todo = [f for f in files if not (folder / f.name).is_file()]
        if todo:
            _download_all(name, todo, folder, progress, cancelled, "; ".join(notes))
        yaml_path = folder / f"{name}.yaml"
        if not yaml_path.is_file():
            from .atomic import atomic_path

            with atomic_path(yaml_path) as tmp:
                shutil.copyfile(catalogue_dir / f"{name}.yaml", tmp)
    except OSError as exc:
        raise UserError(f"cannot store the model's weights in {folder}: "
                        f"{describe_os_error(exc, '')} (set WOODSHED_MODELS_DIR to another folder)") from None
    return folder


def _download_all(name: str, todo: list[WeightsFile], folder: Path, progress: Progress | None,
                  cancelled: Callable[[], bool], note: str) -> None:
    sizes = {}
    for f in todo:
        sizes[f.name] = _remote_size(f, name)
    total = sum(sizes.values()) if None not in sizes.values() else None
    finished = 0

    def report(done_in_file: int, note: str = "") -> None:
        if progress is not None:
            progress(DownloadProgress(name, finished + done_in_file, total, note))

    report(sum(_partial(folder, f).stat().st_size for f in todo if _partial(folder, f).exists()), note)
    for f in todo:
        _download_file(f, folder, name, report, cancelled)
        finished += sizes[f.name] or (folder / f.name).stat().st_size
    report(0)


def _partial(folder: Path, f: WeightsFile) -> Path:
    return folder / (f.name + PARTIAL_SUFFIX)


def _offline(name: str, f: WeightsFile, exc: BaseException) -> UserError:
    host = urllib.request.urlparse(f.url).hostname
    reason = getattr(exc, "reason", exc)
    return UserError(
        f"cannot download the separation model {name!r} from {host} ({reason}): offline? "
        "Connect once to let it download (it resumes where it stopped), or choose a folder of "
        "model weights (in the window: Preferences > Separation > Model folder; or --model-repo DIR)")


def _remote_size(f: WeightsFile, name: str) -> int | None:
    request = urllib.request.Request(f.url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            length = response.headers.get("Content-Length")
            return int(length) if length else None
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise UserError(f"the weights of model {name!r} are not at {f.url} (404)") from None
        return None  # a server that refuses HEAD: the size comes with the download itself
    except NETWORK_ERRORS as exc:
        raise _offline(name, f, exc) from None


def _download_file(f: WeightsFile, folder: Path, name: str, report, cancelled) -> None:
    """Fetch one file into ``<name>.download``, resuming it; check it; give it its name."""
    part, final = _partial(folder, f), folder / f.name
    attempts_left, damaged_before = ATTEMPTS, False
    while True:
        try:
            _fetch_into(f, part, report, cancelled)
        except NETWORK_ERRORS as exc:
            if isinstance(exc, urllib.error.HTTPError) and exc.code not in (408, 429, 500, 502, 503, 504):
                raise UserError(f"cannot download {f.name} for model {name!r}: HTTP {exc.code}") from None
            attempts_left -= 1
            got = part.stat().st_size if part.exists() else 0
            log.info("download of %s broke at %d bytes (%s): %s", f.name, got, exc,
                        "resuming" if attempts_left else "giving up")
            if not attempts_left:
                raise _offline(name, f, exc) from None
            report(got, f"the connection broke at {got / 1e6:.1f} MB: resuming")
            time.sleep(RETRY_PAUSE_S)
            continue
        if sha256_matches(part, f.sha256_prefix):
            os.replace(part, final)
            return
        part.unlink()
        if damaged_before:
            raise UserError(f"the downloaded weights {f.name} of model {name!r} are damaged twice "
                            "in a row (checksum mismatch): deleted; try again later, or use a "
                            "folder of model weights") from None
        damaged_before = True
        log.info("downloaded %s does not match its checksum: downloading it again", f.name)
        report(0, f"the download of {f.name} was damaged (checksum mismatch): deleted, "
                  "downloading it again")


def _fetch_into(f: WeightsFile, part: Path, report, cancelled) -> None:
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(f.url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # asked past the end: what we have is the whole file
            return
        raise
    with response, open(part, "ab" if have and response.status == 206 else "wb") as out:
        done = have if response.status == 206 else 0
        expected = response.headers.get("Content-Length")
        expected_end = done + int(expected) if expected else None
        last_report = 0.0
        while True:
            if cancelled():
                raise DownloadCancelled()
            buf = response.read1(CHUNK_BYTES)  # what has arrived: Cancel answers quickly
            if not buf:
                break
            out.write(buf)
            done += len(buf)
            now = time.monotonic()
            if now - last_report > 0.1:
                report(done)
                last_report = now
        report(done)
    if expected_end is not None and done < expected_end:
        raise ConnectionError(f"the server sent {done} of {expected_end} bytes")



class DownloadMeter:
    """Speed and time left of a download, from the progress reports (a sliding window of a
    few seconds, so a stall shows quickly), as one line for a musician."""

    WINDOW_S = 5.0

    def __init__(self):
        self.samples: list[tuple[float, int]] = []

    def line(self, p: DownloadProgress, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        self.samples.append((now, p.done_bytes))
        while len(self.samples) > 2 and now - self.samples[0][0] > self.WINDOW_S:
            self.samples.pop(0)
        (t0, b0), (t1, b1) = self.samples[0], self.samples[-1]
        speed = (b1 - b0) / (t1 - t0) if t1 - t0 > 0.2 and b1 >= b0 else None
        text = f"Downloading the separation model {p.model} (first use only): {p.done_bytes / 1e6:.1f}"
        text += f" of {p.total_bytes / 1e6:.1f} MB" if p.total_bytes else " MB"
        if speed:
            text += f", {speed / 1e6:.1f} MB/s"
            if p.total_bytes and speed > 0:
                left_s = max(0.0, (p.total_bytes - p.done_bytes) / speed)
                text += f", about {int(left_s // 60)}:{int(left_s % 60):02d} left"
        return text
