"""Our own binding of Rubber Band's C API (rubberband-c.h, GPLv2-or-later), through ctypes.

Why ctypes and not a compiled extension (README, "Stretcher"): ctypes releases the GIL for the
whole of every foreign call, so Rubber Band computes while the UI and the audio callback run;
nothing is compiled when Woodshed is installed; and the same code loads the system's library
on Linux (Debian's librubberband2) or the one our CI builds from Rubber Band's own source and
places in this package on Windows and macOS (``_lib/``), where the app bundle picks it up too.

Real-time use: every buffer is allocated once, when a stretcher is made; feeding and taking
audio copies through those buffers, so a call never hands the library memory it could overrun,
never allocates a block-sized buffer, and never passes it a sample that is not a number.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import math
import os
import sys
from pathlib import Path

import numpy as np

from woodshed.separation.errors import UserError

log = logging.getLogger(__name__)

# rubberband-c.h's options (the values are the C API's, stable since 1.x; R3 needs 3.x)
PROCESS_REALTIME = 0x00000001
WINDOW_SHORT = 0x00100000
PITCH_HIGH_CONSISTENCY = 0x04000000
CHANNELS_TOGETHER = 0x10000000
ENGINE_FINER = 0x20000000

BUNDLED_DIR = Path(__file__).resolve().parent / "_lib"
_LIBRARY_NAMES = {"win32": ["rubberband.dll", "librubberband.dll", "librubberband-2.dll"],
                  "darwin": ["librubberband.dylib", "librubberband.2.dylib"]}
_MAC_FOLDERS = ["/opt/homebrew/lib", "/usr/local/lib", "/opt/local/lib"]  # Homebrew, MacPorts

# Time ratio and pitch scale Rubber Band is asked for at most (and 1 / that at least).
# The controls allow 4x and one octave; this keeps a wild value from a caller sane.
MAX_SCALE = 16.0

_F_PP = ctypes.POINTER(ctypes.POINTER(ctypes.c_float))


class RubberBandMissing(UserError):
    pass


LIBRARY_ENV = "WOODSHED_RUBBERBAND_LIBRARY"  # a path: load that library and no other


def _candidates() -> list[str]:
    """Where the library may be, most specific first: the one the user named (LIBRARY_ENV: a
    build of their own), then bundled with us (wheel, app bundle), then the system's."""
    named = os.environ.get(LIBRARY_ENV)
    if named:
        return [named]
    names = _LIBRARY_NAMES.get(sys.platform, ["librubberband.so.2", "librubberband.so"])
    found = [str(BUNDLED_DIR / name) for name in names if (BUNDLED_DIR / name).exists()]
    frozen = getattr(sys, "_MEIPASS", None)  # a PyInstaller bundle keeps binaries at its root
    if frozen:
        found += [str(Path(frozen) / name) for name in names if (Path(frozen) / name).exists()]
    system = ctypes.util.find_library("rubberband")
    if system:
        found.append(system)
    if sys.platform == "darwin":
        found += [os.path.join(d, n) for d in _MAC_FOLDERS for n in names
                  if os.path.exists(os.path.join(d, n))]
    return found + names  # bare names: the loader's own search as a last resort


def _load() -> ctypes.CDLL:
    tried, why_named = [], ""
    for candidate in _candidates():
        try:
            # CDLL (not PyDLL): the GIL is released for the duration of every call.
            lib = ctypes.CDLL(candidate)
            lib.rubberband_get_engine_version  # noqa: B018  (3.x: R3 and the start-delay calls)
            lib.rubberband_get_start_delay  # noqa: B018
        except (OSError, AttributeError) as exc:
            tried.append(f"{candidate} ({exc})")
            why_named = str(exc) if candidate in str(exc) else f"{candidate}: {exc}"
            continue
        _declare(lib)
        return lib
    log.debug("Rubber Band not loaded; tried: %s", "; ".join(tried))
    if os.environ.get(LIBRARY_ENV):
        raise RubberBandMissing(
            f"tempo and pitch cannot change: the stretcher is unavailable ({LIBRARY_ENV} names "
            f"a Rubber Band library that does not load: {why_named})")
    raise RubberBandMissing(
        "tempo and pitch cannot change: the stretcher is unavailable (the Rubber Band "
        "library 3.x was not found): install it (Debian/Ubuntu: apt install librubberband2; "
        "Fedora: dnf install rubberband; macOS: brew install rubberband) "
        "or use a Woodshed build that bundles it")


def _declare(lib: ctypes.CDLL) -> None:
    state, uint, c_int, c_double = ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_double
    signatures = {
        "rubberband_new": (state, [uint, uint, c_int, c_double, c_double]),
        "rubberband_delete": (None, [state]),
        "rubberband_reset": (None, [state]),
        "rubberband_get_engine_version": (c_int, [state]),
        "rubberband_set_time_ratio": (None, [state, c_double]),
        "rubberband_set_pitch_scale": (None, [state, c_double]),
        "rubberband_get_preferred_start_pad": (uint, [state]),
        "rubberband_get_start_delay": (uint, [state]),
        "rubberband_get_samples_required": (uint, [state]),
        "rubberband_set_max_process_size": (None, [state, uint]),
        "rubberband_process": (None, [state, _F_PP, uint, c_int]),
        "rubberband_available": (c_int, [state]),
        "rubberband_retrieve": (uint, [state, _F_PP, uint]),
        "rubberband_set_default_debug_level": (None, [c_int]),
    }
    for name, (restype, argtypes) in signatures.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    lib.rubberband_set_default_debug_level(0)  # it would print to stderr otherwise


_lib: ctypes.CDLL | None = None
_missing: RubberBandMissing | None = None  # why it could not be loaded (looked for once)


def library() -> ctypes.CDLL:
    """The loaded library (loaded on first use, so importing Woodshed never needs it);
    RubberBandMissing, saying why, if it cannot be loaded."""
    global _lib, _missing
    if _lib is None:
        if _missing is not None:  # looking again would run the system's library search again
            raise _missing
        try:
            _lib = _load()
        except RubberBandMissing as exc:
            _missing = exc
            raise
    return _lib


def check_available() -> None:
    """Nothing if tempo and pitch can change; else RubberBandMissing saying why not."""
    library()


def _channel_pointers(buffer: np.ndarray):
    """float*[channels] pointing at each row of a C-contiguous (channels, frames) buffer."""
    rows = (ctypes.POINTER(ctypes.c_float) * buffer.shape[0])()
    for c in range(buffer.shape[0]):
        rows[c] = buffer[c].ctypes.data_as(ctypes.POINTER(ctypes.c_float))
    return rows


def _sane_scale(value: float) -> float | None:
    """A ratio Rubber Band can take, or None for one that means nothing (0, negative, NaN)."""
    if not math.isfinite(value) or value <= 0.0:
        return None
    return min(MAX_SCALE, max(1.0 / MAX_SCALE, value))


class RubberBand:
    """One real-time Rubber Band stretcher. Audio in and out is (channels, frames) float32.

    ``max_feed_frames`` bounds one process() call; ``max_take_frames`` one retrieve().
    """

    def __init__(self, sample_rate: int, channels: int, options: int, max_feed_frames: int,
                 max_take_frames: int):
        self._lib = lib = library()
        self.channels = int(channels)
        self.max_feed_frames = int(max_feed_frames)
        self._state = lib.rubberband_new(int(sample_rate), self.channels, int(options), 1.0, 1.0)
        if not self._state:
            raise MemoryError("Rubber Band could not make a stretcher")
        lib.rubberband_set_max_process_size(self._state, self.max_feed_frames)
        self.engine_version = lib.rubberband_get_engine_version(self._state)
        self.time_ratio = 1.0
        self.pitch_scale = 1.0
        # the only audio buffers: Rubber Band reads from and writes to these
        self._in = np.zeros((self.channels, self.max_feed_frames), np.float32)
        self._out = np.zeros((self.channels, int(max_take_frames)), np.float32)
        self._in_rows = _channel_pointers(self._in)
        self._out_rows = _channel_pointers(self._out)

    def __del__(self):
        state, self._state = getattr(self, "_state", None), None
        if state:
            self._lib.rubberband_delete(state)

    def set_time_ratio(self, ratio: float) -> None:
        """Output duration / input duration; a meaningless value is ignored."""
        ratio = _sane_scale(ratio)
        if ratio is not None and ratio != self.time_ratio:
            self.time_ratio = ratio
            self._lib.rubberband_set_time_ratio(self._state, ratio)

    def set_pitch_scale(self, scale: float) -> None:
        """Frequency factor; a meaningless value is ignored."""
        scale = _sane_scale(scale)
        if scale is not None and scale != self.pitch_scale:
            self.pitch_scale = scale
            self._lib.rubberband_set_pitch_scale(self._state, scale)

    def reset(self) -> None:
        self._lib.rubberband_reset(self._state)

    @property
    def preferred_start_pad(self) -> int:
        return self._lib.rubberband_get_preferred_start_pad(self._state)

    @property
    def start_delay(self) -> int:
        return self._lib.rubberband_get_start_delay(self._state)

    @property
    def samples_required(self) -> int:
        return self._lib.rubberband_get_samples_required(self._state)

    def available(self) -> int:
        return max(0, self._lib.rubberband_available(self._state))

    def process(self, audio: np.ndarray) -> None:
        """Stretch ``audio`` (channels, frames); any length, fed in pieces the library
        accepts. Samples that are not numbers (NaN, inf) go in as silence: once inside, they
        would stay in the stretcher's memory and every later block would come out NaN."""
        if audio.ndim != 2 or audio.shape[0] != self.channels:
            raise ValueError(f"expected ({self.channels}, frames) audio, got {audio.shape}")
        frames = audio.shape[1]
        for at in range(0, frames, self.max_feed_frames):
            n = min(self.max_feed_frames, frames - at)
            block = self._in[:, :n]
            np.copyto(block, audio[:, at:at + n], casting="unsafe")
            # NaN or inf anywhere makes a row's dot product non-finite (so does a sample
            # beyond 1e19, kept out too); rows are contiguous, so numpy needs no buffer
            if not all(math.isfinite(np.dot(row, row)) for row in block):
                block[~np.isfinite(block)] = 0.0    # rare: allocating here is fine
                np.clip(block, -1.0e6, 1.0e6, out=block)
            self._lib.rubberband_process(self._state, self._in_rows, n, 0)

    def retrieve_into_buffer(self) -> int:
        """Move what is available (at most the buffer's size) into ``buffer``; frames moved."""
        n = min(self.available(), self._out.shape[1])
        if n <= 0:
            return 0
        return int(self._lib.rubberband_retrieve(self._state, self._out_rows, n))

    @property
    def buffer(self) -> np.ndarray:
        """Where retrieve_into_buffer() puts output (overwritten by the next call)."""
        return self._out
