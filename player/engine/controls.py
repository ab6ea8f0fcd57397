"""The musician's controls as named values: volume, mute, solo, pan per stem; master; tempo;
pitch; A-B loop; seek requests; the click's strip (volume, mute, pan) and the count-in.

The UI (or CLI, or export) writes through validated setters; the audio side reads
``controls.snapshot``, an immutable object replaced whole on every change. Reading it is one
attribute load: the audio side never takes a lock the UI can hold (Mixxx's "controls").
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from woodshed.separation.errors import UserError

TEMPO_MIN, TEMPO_MAX = 0.25, 2.0
PITCH_MIN_ST, PITCH_MAX_ST = -12.0, 12.0
GAIN_MAX_DB = 12.0
LOOP_MIN_S = 0.1  # shorter loops could wrap twice in one mixing block
COUNT_IN_MAX_BARS = 4


def db_to_gain(db: float) -> float:
    return 0.0 if db == -math.inf else 10.0 ** (db / 20.0)


def stretcher_needed() -> None:
    """Another tempo or pitch needs Rubber Band: if it cannot be loaded, say so (one line,
    RubberBandMissing) here, where every change of them passes (window, terminal, export),
    rather than play on at 1.0x as if the change were heard."""
    from .rubberband import check_available

    check_available()


@dataclass(frozen=True)
class Snapshot:
    """Everything the renderer needs for one block, consistent as a whole."""
    stem_gains: np.ndarray        # (stems + 1, channels) linear; last row is the original mix
    tempo: float
    pitch_semitones: float
    loop_frames: tuple[int, int] | None   # active loop [start, end) in source frames
    seek_serial: int
    seek_frame: int
    # The click's strip: linear gain per output channel (volume, mute, pan, master applied),
    # added after the stretcher to the click and the count-in alike.
    click_gains: np.ndarray | None = None
    count_in_bars: int = 0               # bars of count-in (see count_in_every_pass)
    count_in_every_pass: bool = False    # a count-in before every pass of an enabled loop

    @property
    def stretching(self) -> bool:
        return self.tempo != 1.0 or self.pitch_semitones != 0.0


class Controls:
    def __init__(self, stems: list[str], sample_rate: int, frames: int, channels: int):
        self.stems = list(stems)
        self.sample_rate = int(sample_rate)
        self.frames = int(frames)
        self.channels = int(channels)
        self._lock = threading.Lock()
        self._gain_db = {s: 0.0 for s in self.stems}
        self._mute = {s: False for s in self.stems}
        self._solo = {s: False for s in self.stems}
        self._pan = {s: 0.0 for s in self.stems}
        self._master_db = 0.0
        self._tempo = 1.0
        self._pitch = 0.0
        self._loop: tuple[float, float] | None = None
        self._loop_enabled = False
        self._seek_serial = 0
        self._seek_frame = 0
        self._click_db = 0.0
        self._click_mute = False
        self._click_pan = 0.0
        self._count_in_bars = 0
        self._count_in_every_pass = False
        self.snapshot = self._build()

    @classmethod
    def for_song(cls, song) -> "Controls":
        m = song.manifest
        return cls(m.sources, m.sample_rate, m.frames, m.channels)

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate

    def add_stems(self, stems: list[str]) -> None:
        """Stems that joined the song (separation began after its mix played), at 0 dB,
        unmuted, centred; the ones already here keep their settings."""
        with self._lock:
            for s in stems:
                if s not in self._gain_db:
                    self.stems.append(s)
                    self._gain_db[s], self._mute[s], self._solo[s], self._pan[s] = 0.0, False, False, 0.0
            self.snapshot = self._build()

    # --- setters (validated, thread-safe) ----------------------------------
    def set_gain_db(self, stem: str, db: float) -> None:
        db = self._number(db, "volume", allow_minus_inf=True)
        if db > GAIN_MAX_DB:
            raise UserError(f"volume {db:g} dB for {stem} is too loud (at most +{GAIN_MAX_DB:g} dB)")
        self._update(self._gain_db, self._stem(stem), db)

    def set_mute(self, stem: str, muted: bool) -> None:
        self._update(self._mute, self._stem(stem), bool(muted))

    def set_solo(self, stem: str, soloed: bool) -> None:
        self._update(self._solo, self._stem(stem), bool(soloed))

    def set_pan(self, stem: str, pan: float) -> None:
        pan = self._number(pan, "pan")
        if not -1.0 <= pan <= 1.0:
            raise UserError(f"pan {pan:g} for {stem} is out of range (-1 = left … 1 = right)")
        self._update(self._pan, self._stem(stem), pan)

    def set_master_db(self, db: float) -> None:
        db = self._number(db, "master volume", allow_minus_inf=True)
        if db > GAIN_MAX_DB:
            raise UserError(f"master volume {db:g} dB is too loud (at most +{GAIN_MAX_DB:g} dB)")
        with self._lock:
            self._master_db = db
            self.snapshot = self._build()

    def set_tempo(self, ratio: float) -> None:
        ratio = self._number(ratio, "tempo")
        if not TEMPO_MIN <= ratio <= TEMPO_MAX:
            raise UserError(f"tempo {ratio:g} is out of range ({TEMPO_MIN:g} to {TEMPO_MAX:g})")
        if ratio != 1.0:
            stretcher_needed()
        with self._lock:
            self._tempo = ratio
            self.snapshot = self._build()

    def set_pitch(self, semitones: float) -> None:
        semitones = self._number(semitones, "pitch")
        if not PITCH_MIN_ST <= semitones <= PITCH_MAX_ST:
            raise UserError(f"pitch {semitones:g} semitones is out of range "
                            f"({PITCH_MIN_ST:g} to {PITCH_MAX_ST:+g})")
        if semitones != 0.0:
            stretcher_needed()
        with self._lock:
            self._pitch = semitones
            self.snapshot = self._build()

    def set_loop(self, start_s: float, end_s: float) -> None:
        start_s = self._number(start_s, "loop start")
        end_s = self._number(end_s, "loop end")
        if start_s < 0 or end_s > self.duration_s + 1e-9:
            raise UserError(f"loop {start_s:.3f}-{end_s:.3f} s is outside the song "
                            f"(0-{self.duration_s:.3f} s)")
        if end_s - start_s < LOOP_MIN_S:
            raise UserError(f"loop end ({end_s:.3f} s) must be at least {LOOP_MIN_S:g} s "
                            f"after its start ({start_s:.3f} s)")
        with self._lock:
            self._loop = (start_s, min(end_s, self.duration_s))
            self.snapshot = self._build()

    def set_loop_enabled(self, enabled: bool) -> None:
        with self._lock:
            if enabled and self._loop is None:
                raise UserError("no loop set yet: set its start and end first")
            self._loop_enabled = bool(enabled)
            self.snapshot = self._build()

    def clear_loop(self) -> None:
        with self._lock:
            self._loop, self._loop_enabled = None, False
            self.snapshot = self._build()

    # The click has a strip like a stem's. Its pan follows the stems' balance law (0 dB at
    # centre), and the master volume applies to it as to everything heard.
    def set_click_db(self, db: float) -> None:
        db = self._number(db, "click volume", allow_minus_inf=True)
        if db > GAIN_MAX_DB:
            raise UserError(f"click volume {db:g} dB is too loud (at most +{GAIN_MAX_DB:g} dB)")
        self._set("_click_db", db)

    def set_click_mute(self, muted: bool) -> None:
        """Mutes the click's strip: the beats and any count-in."""
        self._set("_click_mute", bool(muted))

    def set_click_pan(self, pan: float) -> None:
        pan = self._number(pan, "click pan")
        if not -1.0 <= pan <= 1.0:
            raise UserError(f"click pan {pan:g} is out of range (-1 = left … 1 = right)")
        self._set("_click_pan", pan)

    def set_count_in_bars(self, bars: int) -> None:
        """Bars of count-in the renderer plays before every loop pass (when
        count_in_every_pass is on); a count-in at play is asked with Renderer.count_in."""
        if isinstance(bars, bool) or not isinstance(bars, (int, np.integer)) or not (
                0 <= bars <= COUNT_IN_MAX_BARS):
            raise UserError(f"count-in of {bars!r} bars: give 0 (off) to {COUNT_IN_MAX_BARS}")
        self._set("_count_in_bars", int(bars))

    def set_count_in_every_pass(self, every_pass: bool) -> None:
        """A count-in (count_in_bars of clicks, 1 bar if none set) before every pass of an
        enabled loop: the loop plays to its end, the clicks count in, the loop's start
        enters on the beat after them. Takes effect at the next wrap."""
        self._set("_count_in_every_pass", bool(every_pass))

    def seek(self, position_s: float) -> None:
        """Ask the renderer to jump; positions outside the song are clamped to it."""
        position_s = self._number(position_s, "position")
        frame = int(round(min(max(position_s, 0.0), self.duration_s) * self.sample_rate))
        with self._lock:
            self._seek_serial += 1
            self._seek_frame = frame
            self.snapshot = self._build()

    # --- getters -------------------------------------------------------------
    @property
    def tempo(self) -> float:
        return self._tempo

    @property
    def pitch_semitones(self) -> float:
        return self._pitch

    @property
    def loop(self) -> tuple[float, float, bool] | None:
        with self._lock:
            return None if self._loop is None else (*self._loop, self._loop_enabled)

    def gain_db(self, stem: str) -> float:
        return self._gain_db[self._stem(stem)]

    def muted(self, stem: str) -> bool:
        return self._mute[self._stem(stem)]

    def soloed(self, stem: str) -> bool:
        return self._solo[self._stem(stem)]

    def pan(self, stem: str) -> float:
        return self._pan[self._stem(stem)]

    @property
    def master_db(self) -> float:
        return self._master_db

    @property
    def click_db(self) -> float:
        return self._click_db

    @property
    def click_muted(self) -> bool:
        return self._click_mute

    @property
    def click_pan(self) -> float:
        return self._click_pan

    @property
    def count_in_bars(self) -> int:
        return self._count_in_bars

    @property
    def count_in_every_pass(self) -> bool:
        return self._count_in_every_pass

    def effective_gains(self) -> dict[str, float]:
        """Linear gain per stem after volume, mute, solo and master (pan not included)."""
        with self._lock:
            return dict(zip(self.stems, self._stem_levels()))

    # --- internals -------------------------------------------------------------
    def _stem(self, stem: str) -> str:
        if stem not in self._gain_db:
            raise UserError(f"unknown stem {stem!r} (this song has: {', '.join(self.stems)})")
        return stem

    @staticmethod
    def _number(value, what: str, allow_minus_inf: bool = False) -> float:
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise UserError(f"{what} must be a number, not {value!r}") from None
        if math.isnan(value) or (math.isinf(value) and not (allow_minus_inf and value < 0)):
            raise UserError(f"{what} must be a finite number, not {value}")
        return value

    def _set(self, name: str, value) -> None:
        with self._lock:
            setattr(self, name, value)
            self.snapshot = self._build()

    def _update(self, table: dict, stem: str, value) -> None:
        with self._lock:
            table[stem] = value
            self.snapshot = self._build()

    def _stem_levels(self) -> list[float]:
        any_solo = any(self._solo.values())
        master = db_to_gain(self._master_db)
        return [0.0 if self._mute[s] or (any_solo and not self._solo[s])
                else db_to_gain(self._gain_db[s]) * master for s in self.stems]

    def _build(self) -> Snapshot:
        gains = np.ones((len(self.stems) + 1, self.channels), np.float32)
        gains[:-1] *= np.asarray(self._stem_levels(), np.float32)[:, None]
        if self.channels == 2:
            pans = np.asarray([self._pan[s] for s in self.stems], np.float32)
            _balance(gains[:-1], pans)
        gains[-1] = db_to_gain(self._master_db)  # the original mix, where stems are not ready
        click = np.full((1, self.channels), 0.0 if self._click_mute else
                        db_to_gain(self._click_db) * db_to_gain(self._master_db), np.float32)
        if self.channels == 2:
            _balance(click, np.asarray([self._click_pan], np.float32))
        loop = None
        if self._loop is not None and self._loop_enabled:
            loop = (int(round(self._loop[0] * self.sample_rate)),
                    int(round(self._loop[1] * self.sample_rate)))
        return Snapshot(gains, self._tempo, self._pitch, loop, self._seek_serial, self._seek_frame,
                        click[0], self._count_in_bars, self._count_in_every_pass)


def _balance(gains: np.ndarray, pans: np.ndarray) -> None:
    """In place, (rows, 2) gains: the far side stays at unity, the near side fades."""
    gains[:, 0] *= np.minimum(1.0, 1.0 - pans)
    gains[:, 1] *= np.minimum(1.0, 1.0 + pans)
