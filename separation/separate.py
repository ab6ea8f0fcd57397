"""Parent side of separation: start the worker process, follow it, steer it, stop it.

    job = Separation(Path("song.mp3"), SeparationSettings(model="htdemucs_6s"))
    song = job.cached()            # complete stems already there? then nothing to do
    job.start(); job.prioritise(83.5, 101.0)   # the loop under the playhead first
    for event in job.poll(): ...   # Ready / Progress / Done / Failed
    job.cancel()                   # resumable: the next run carries on where this stopped
"""
from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import cache
from .errors import UserError
from .model import DEFAULT_MODEL, model_repo_from_env
from .worker import Job, main as worker_main

DEFAULT_SAMPLE_RATE = 44100  # demucs models' rate, until the song's own is known


@dataclass
class SeparationSettings:
    model: str = DEFAULT_MODEL
    model_repo: Path | None = None
    device: str = "auto"
    shifts: int = 0
    overlap: float = 0.25
    threads: int | None = None

    def __post_init__(self):
        self.model_repo = model_repo_from_env(self.model_repo)
        if self.threads is None and os.environ.get("WOODSHED_SEPARATION_THREADS"):
            self.threads = int(os.environ["WOODSHED_SEPARATION_THREADS"])
        if not 0 <= self.shifts <= 20:
            raise UserError(f"--shifts must be between 0 and 20, not {self.shifts}")
        if not 0.0 <= self.overlap < 1.0:
            raise UserError(f"--overlap must be at least 0 and below 1, not {self.overlap}")
        if self.device not in ("auto", "cpu", "cuda", "mps") and not self.device.startswith("cuda:"):
            raise UserError(f"unknown device {self.device!r} (auto, cpu, cuda or mps)")

    def key_settings(self) -> dict:
        """What changes the stems, and so the cache key (the device does not)."""
        return {"shifts": self.shifts, "overlap": self.overlap}


@dataclass
class Ready:
    song_dir: Path


@dataclass
class Waiting:
    """Another process is separating this song: this job follows it (following=True), and
    takes over if it stops before the end (then Waiting(following=False))."""

    following: bool = True


@dataclass
class Downloading:
    """The model's weights are downloading (first use): bytes so far of total (None: unknown)."""
    model: str
    done_bytes: int
    total_bytes: int | None
    note: str = ""


@dataclass
class Progress:
    done: int
    total: int


@dataclass
class Done:
    song: cache.CachedSong


@dataclass
class Failed:
    message: str


@dataclass
class Cancelled:
    pass


@dataclass
class Separation:
    song_path: Path
    settings: SeparationSettings = field(default_factory=SeparationSettings)
    cache_root: Path | None = None

    def __post_init__(self):
        from . import audio_file
        from .quiet import c_stderr_silenced

        self.song_path = Path(self.song_path)
        with c_stderr_silenced():  # decoders' own warnings; ours come as one UserError
            audio_file.probe(self.song_path)  # bad files fail here, at once, without torch
        self.cache_root = cache.ensure_root(self.cache_root)
        self.source_hash = cache.file_hash(self.song_path)
        self.key = cache.song_key(self.source_hash, self.settings.model,
                                  self.settings.key_settings())
        self._process = None
        self._conn = None
        self._sample_rate: int | None = None  # the song's, once it is known
        self.finished = False

    @property
    def song_dir(self) -> Path:
        return self.cache_root / self.key

    def cached(self) -> cache.CachedSong | None:
        """The song's cached stems if they are complete, marked as just used."""
        from . import damage

        song = cache.find(self.key, self.cache_root)
        if song is not None and damage.check(song):
            return None  # the worker mends it, redoing only what is damaged
        if song is not None and song.manifest.complete:
            song.remember_source(self.song_path)  # it may have moved since it was separated
            song.touch()
            return song
        return None

    def partial(self) -> cache.CachedSong | None:
        """The song as far as it is separated (plays the original mix elsewhere)."""
        from . import damage

        song = cache.find(self.key, self.cache_root)
        if song is not None and damage.check(song):
            return None  # not playable until the worker has mended it (then "ready")
        if song is not None:
            self._sample_rate = song.manifest.sample_rate
        return song

    def start(self, first_s: tuple[float, float] | None = None, mix_first: bool = False) -> None:
        """Start the worker. mix_first: a player opens the song, so the worker makes a song
        folder of its mix alone before it loads the model ("ready" comes within a second or
        two; the stems join later); without it the folder appears with the stems' files."""
        s = self.settings
        job = Job(song_path=str(self.song_path), key=self.key, source_hash=self.source_hash,
                  model=s.model, model_repo=str(s.model_repo) if s.model_repo else None,
                  device=s.device, shifts=s.shifts, overlap=s.overlap,
                  cache_root=str(self.cache_root), threads=s.threads,
                  first_frames=self._frames(first_s) if first_s else None, mix_first=mix_first)
        # spawn: torch and the model never enter the caller's (the player's) process.
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=worker_main, args=(job, child), daemon=True,
                                    name="woodshed-separation")
        self._process.start()
        child.close()

    def _frames(self, span_s: tuple[float, float]) -> tuple[int, int]:
        # The song's rate, read once: prioritise() is called on every seek, from the UI
        # thread, and a manifest (peaks included) is megabytes for an hour-long song.
        if self._sample_rate is None:
            song = cache.find(self.key, self.cache_root)
            if song is None:
                return self._frames_at(span_s, DEFAULT_SAMPLE_RATE)  # not decoded yet
            self._sample_rate = song.manifest.sample_rate
        return self._frames_at(span_s, self._sample_rate)

    @staticmethod
    def _frames_at(span_s: tuple[float, float], rate: int) -> tuple[int, int]:
        return int(span_s[0] * rate), int(span_s[1] * rate)

    def prioritise(self, start_s: float, end_s: float) -> None:
        """Separate the segments under [start_s, end_s) next (the loop, the playhead)."""
        if self._conn is not None and not self.finished:
            try:
                self._conn.send(("prioritise", *self._frames((start_s, end_s))))
            except (OSError, EOFError):
                pass

    def poll(self, timeout_s: float = 0.0) -> list:
        """Events from the worker since the last call (waits up to timeout_s for the first)."""
        events = []
        if self._conn is None or self.finished:
            return events
        try:
            ready = self._conn.poll(timeout_s)
            while ready:
                events.append(self._event(self._conn.recv()))
                ready = self._conn.poll()
        except (EOFError, OSError):
            if not self.finished:
                self.finished = True
                events.append(Failed(self._why_it_ended()))
        return events

    def _event(self, message):
        kind = message[0]
        if kind == "ready":
            return Ready(Path(message[1]))
        if kind == "progress":
            return Progress(message[1], message[2])
        if kind == "waiting":
            return Waiting(*message[1:])
        if kind == "download":
            return Downloading(*message[1:])
        self.finished = True
        if kind == "done":
            return Done(cache.open_song(Path(message[1])))
        if kind == "failed":
            return Failed(message[1])
        return Cancelled()

    def _why_it_ended(self) -> str:
        """In words: how the worker process ended without saying done or failed."""
        if self._process is not None:
            self._process.join(2.0)  # its exit status is known only once it is reaped
        code = self._process.exitcode if self._process is not None else None
        if code is None:
            return "the separation process stopped answering"
        if code < 0:
            import signal

            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            hint = " (out of memory?)" if name == "SIGKILL" else ""
            return f"the separation process was stopped by {name}{hint}"
        return f"the separation process ended unexpectedly with status {code}"

    def cancel(self, timeout_s: float = 5.0) -> None:
        """Stop after the segment in flight (resumable); kill if it does not stop in time."""
        if self._process is None:
            return
        try:
            self._conn.send(("cancel",))
        except (OSError, EOFError):
            pass
        self._process.join(timeout_s)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self.finished = True

    def wait(self, on_progress=None, on_download=None, on_waiting=None) -> cache.CachedSong:
        """Block until done; on_progress(done, total) per segment, on_download(Downloading)
        while the model's weights download, on_waiting(following) when another process
        is separating the song (this one follows it) and when it takes over. Raises UserError on failure."""
        try:
            while True:
                for event in self.poll(0.5):
                    if isinstance(event, Waiting) and on_waiting:
                        on_waiting(event.following)
                    elif isinstance(event, Downloading) and on_download:
                        on_download(event)
                    elif isinstance(event, Progress) and on_progress:
                        on_progress(event.done, event.total)
                    elif isinstance(event, Done):
                        return event.song
                    elif isinstance(event, Failed):
                        raise UserError(event.message)
                    elif isinstance(event, Cancelled):
                        raise UserError("separation cancelled")
                if self.finished:
                    raise UserError("the separation process ended unexpectedly")
        finally:
            if self._process is not None:
                self._process.join(5)
                if self._process.is_alive():
                    self._process.kill()

    def close(self) -> None:
        if self._process is not None and self._process.is_alive():
            self.cancel()


def separation_of(song: cache.CachedSong, settings: SeparationSettings | None = None) -> Separation:
    """The separation that mends or carries on a cached song, from the song file its manifest
    remembers, with the model and settings it was separated with (``settings`` gives the rest:
    a model folder, the device, threads). Not started. UserError, saying why, when the song
    file is not known, is gone, or has changed since (other bytes: other stems)."""
    from dataclasses import replace

    m = song.manifest
    where = m.source_path
    if where is None:
        raise UserError(f"Woodshed does not know where its song file {m.original_name} is "
                        "(separated by an earlier Woodshed)")
    if not Path(where).is_file():
        raise UserError(f"its song file {where} is gone (moved or deleted)")
    settings = replace(settings or SeparationSettings(), model=m.model,
                       shifts=int(m.settings.get("shifts", 0)),
                       overlap=float(m.settings.get("overlap", 0.25)))
    job = Separation(Path(where), settings, song.dir.parent)
    if job.key != song.key:
        raise UserError(f"its song file {where} has changed since it was separated")
    return job


def separate_song(song_path: Path, settings: SeparationSettings | None = None,
                  progress=None, cache_root: Path | None = None,
                  on_waiting=None) -> cache.CachedSong:
    """Separate (or find cached) and return the complete song; progress(done, total),
    on_waiting(following) as Separation.wait says."""
    job = Separation(Path(song_path), settings or SeparationSettings(), cache_root)
    song = job.cached()
    if song is not None:
        return song
    job.start()
    try:
        return job.wait(progress, on_waiting=on_waiting)
    except KeyboardInterrupt:
        job.cancel()
        raise
