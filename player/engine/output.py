"""The output device: a single-producer ring buffer that a real-time callback copies out of.

rtmixer's callback is C (it never takes the GIL, so nothing in Python can delay it): the
producer writes into a PortAudio ring buffer, the callback reads it. rtmixer ends its ring
"action" when the ring runs dry; that is an underflow: count it and start the ring again.
"""
from __future__ import annotations

import os
import threading
import time

import numpy as np

from woodshed.separation.errors import UserError

CLOSE_WAIT_S = 2.0
START_SILENCE_BLOCKS = 2
AUDIO_START_TIMEOUT_S = 10.0  # PortAudio starts in well under a second where all is well

_portaudio: dict = {"module": None, "error": None, "thread": None, "deadline_s": 0.0,
                    "stderr_fd": None}
_portaudio_started = threading.Event()
_portaudio_lock = threading.Lock()


def _audio_start_timeout_s() -> float:
    try:
        return max(0.1, float(os.environ.get("WOODSHED_AUDIO_START_TIMEOUT_S", AUDIO_START_TIMEOUT_S)))
    except ValueError:
        return AUDIO_START_TIMEOUT_S


def _start_portaudio() -> None:
    try:
        import sounddevice

        _portaudio["module"] = sounddevice
    except BaseException as exc:  # handed to the caller of _sd()
        _portaudio["error"] = exc
    finally:
        _portaudio_started.set()


def _give_stderr_back() -> None:
    """sounddevice points file descriptor 2 at the null device while PortAudio starts (to
    hide ALSA's chatter) and back when it has: a start that never ends would keep this
    process's errors unseen, so point it back at what it was before."""
    if _portaudio["stderr_fd"] is not None:
        os.dup2(_portaudio["stderr_fd"], 2)


def start_portaudio() -> None:
    """Begin starting PortAudio in the background (once); _sd() waits for it."""
    with _portaudio_lock:
        if _portaudio["thread"] is None:
            try:
                _portaudio["stderr_fd"] = os.dup(2)  # (kept open: the start may end any time)
            except OSError:  # no stderr at all (a windowed app)
                pass
            _portaudio["deadline_s"] = time.monotonic() + _audio_start_timeout_s()
            _portaudio["thread"] = threading.Thread(target=_start_portaudio,
                                                    name="portaudio-start", daemon=True)
            _portaudio["thread"].start()


def _sd():
    """sounddevice, once PortAudio has started; UserError when it is missing or does not answer.

    Importing sounddevice starts PortAudio, which opens every host API and probes every
    device, and one of them can wait forever: a JACK client that crashed while holding JACK's
    metadata lock leaves every later client waiting for it, and an ALSA device can block in
    its open. So the import runs on a thread of its own, and a start that takes longer than
    ``WOODSHED_AUDIO_START_TIMEOUT_S`` costs the musician one line, not a frozen program.
    Every later import of sounddevice or rtmixer must come after this (a second import of a
    module still being imported waits for the first)."""
    start_portaudio()
    # One deadline for every caller: a stuck start does not freeze each later call again.
    if not _portaudio_started.wait(max(0.0, _portaudio["deadline_s"] - time.monotonic())):
        _give_stderr_back()
        raise UserError(f"no audio: the audio system did not answer within "
                        f"{_audio_start_timeout_s():g} s (a device or a JACK client is stuck; "
                        "restarting the audio server or the computer helps); songs still "
                        "separate and export")
    if isinstance(_portaudio["error"], OSError):  # no PortAudio library on this system
        raise UserError(f"no audio output: PortAudio is missing ({_portaudio['error']})")
    if _portaudio["error"] is not None:
        raise _portaudio["error"]
    return _portaudio["module"]


def output_device_info(device=None) -> dict:
    """sounddevice's description of the output device (default when None); UserError if none."""
    sd = _sd()
    try:
        info = sd.query_devices(device, kind="output")
    except (ValueError, sd.PortAudioError) as exc:
        if device is None:  # PortAudio's own words ("device -1") say nothing to a musician
            raise UserError("no audio output device found (is a sound card or JACK server "
                            "available?); see 'woodshed devices'") from None
        raise UserError(f"no output device {device!r} ({exc}); see 'woodshed devices'") from None
    if info["max_output_channels"] < 1:
        raise UserError(f"device {device!r} has no outputs; see 'woodshed devices'")
    return info


def choose_rate(device, channels: int, song_rate: int) -> int:
    """The song's rate when the device takes it, else the device's own (we resample)."""
    sd = _sd()
    try:
        sd.check_output_settings(device=device, channels=channels, samplerate=song_rate,
                                 dtype="float32")
        return song_rate
    except (ValueError, sd.PortAudioError):
        return int(output_device_info(device)["default_samplerate"])


class _Output:
    """What both outputs share: the device, and a ring of ``ring_blocks`` blocks, kept
    ``fill_frames`` full (the producer may lower that: less control latency, less safety)."""

    def __init__(self, device, channels: int, sample_rate: int, blocksize: int, ring_blocks: int):
        self.device_name = output_device_info(device)["name"]
        self.channels = channels
        self.sample_rate = sample_rate
        self.blocksize = blocksize
        self.capacity_frames = blocksize * ring_blocks
        self.fill_frames = self.capacity_frames  # kept this full: the control latency
        self.written_frames = 0  # frames put in by the producer (only it writes this)
        self._started = False

    @property
    def active(self) -> bool:
        return bool(self._stream.active)

    @property
    def underflows(self) -> int:
        """The ring ran dry (the producer was late), or the device's block was (late_blocks)."""
        return self.ran_dry + self.late_blocks

    def _write_start_silence(self) -> None:
        # Silence first, while the producer thread starts up: with one block the callback
        # sometimes found the ring dry before the producer's first block (an underflow
        # counted at every open on a busy machine); more would only delay the first sound
        self.write(np.zeros((self.channels, START_SILENCE_BLOCKS * self.blocksize), np.float32))

    @property
    def latency_s(self) -> float:
        """Device latency: from the callback handing a frame over to it being heard."""
        return float(self._stream.latency)

    def close(self) -> None:
        # After a JACK server dies, PortAudio's abort/close either wait forever for a process
        # cycle that never comes or assert (aborting the process): a stream that stopped by
        # itself is left alone; any other closes from a helper thread, waited for a moment.
        if self._started and not self._stream.active:
            return
        closer = threading.Thread(target=self._close_stream, name="woodshed-close", daemon=True)
        closer.start()
        closer.join(CLOSE_WAIT_S)

    def _close_stream(self) -> None:
        try:
            self._stream.abort()
        finally:
            self._stream.close()

    def _cannot_open(self, exc) -> UserError:
        return UserError(f"cannot open output device {self.device_name!r}: {exc}")


class RingOutput(_Output):
    """An open output stream fed through a ring of ``ring_blocks`` blocks."""

    def __init__(self, device, channels: int, sample_rate: int, blocksize: int = 256,
                 ring_blocks: int = 8):
        sd = _sd()
        import rtmixer

        super().__init__(device, channels, sample_rate, blocksize, ring_blocks)
        ring_frames = 1 << int(np.ceil(np.log2(self.capacity_frames)))  # PortAudio: a power of 2
        try:
            self._stream = rtmixer.Mixer(device=device, channels=channels, samplerate=sample_rate,
                                         blocksize=blocksize, latency="low")
        except (ValueError, sd.PortAudioError) as exc:
            raise self._cannot_open(exc) from None
        self._ring = rtmixer.RingBuffer(channels * 4, ring_frames)
        self._interleaved = np.zeros((ring_frames, channels), np.float32)
        self._action = None
        self.ran_dry = 0             # times the producer did not refill the ring in time
        self._device_underflows = 0  # flagged by PortAudio during ring actions now finished

    @property
    def late_blocks(self) -> int:
        """Blocks PortAudio flagged as underflows: the device was not served in time, even
        with sound waiting in the ring (measured on a machine loaded to 5 on 2 cores: gaps
        of 2 periods with a full ring)."""
        action = self._action
        current = action.stats.output_underflows if action is not None else 0
        return self._device_underflows + current

    # --- producer side ------------------------------------------------------
    def start(self) -> None:
        self._started = True
        self._write_start_silence()
        self._stream.start()
        self._restart_ring()

    def space(self) -> int:
        """Frames the ring can take now."""
        return max(0, min(self._ring.write_available,
                          self.fill_frames - self._ring.read_available))

    def buffered(self) -> int:
        """Frames written but not yet taken by the callback."""
        return self._ring.read_available

    def write(self, block: np.ndarray) -> None:
        """block is (channels, frames) with frames <= space()."""
        n = block.shape[1]
        buf = self._interleaved[:n]
        buf[:] = block.T
        written = self._ring.write(buf)
        self.written_frames += written

    def check(self) -> None:
        """Restart the ring if the callback ran it dry (an underflow)."""
        if self._action is not None and self._action not in self._stream.actions:
            self.ran_dry += 1
            self._device_underflows += self._action.stats.output_underflows
            self._restart_ring()

    def _restart_ring(self) -> None:
        if self._ring.read_available == 0:  # never hand the callback an empty ring
            self.write(np.zeros((self.channels, self.blocksize), np.float32))
        self._action = self._stream.play_ringbuffer(self._ring)


class CallbackOutput(_Output):
    """Fallback when rtmixer is not available: a sounddevice callback copying out of a numpy
    ring. Same interface as RingOutput. The callback needs the GIL (DESIGN.md: 0-6 xruns a
    minute measured under load, against 0 for rtmixer), so it does as little as it can:
    at most two slice copies, no allocation; any exception plays silence and is counted."""

    def __init__(self, device, channels: int, sample_rate: int, blocksize: int = 256,
                 ring_blocks: int = 8):
        sd = _sd()
        super().__init__(device, channels, sample_rate, blocksize, ring_blocks)
        self._ring = np.zeros((self.capacity_frames + blocksize, channels), np.float32)
        self._read = 0       # frames taken by the callback (only it writes this)
        self.ran_dry = 0      # the producer did not refill the ring in time
        self.late_blocks = 0  # PortAudio flagged the block
        self.callback_errors = 0
        try:
            self._stream = sd.OutputStream(device=device, channels=channels,
                                           samplerate=sample_rate, blocksize=blocksize,
                                           dtype="float32", latency="low",
                                           callback=self._callback)
        except (ValueError, sd.PortAudioError) as exc:
            raise self._cannot_open(exc) from None

    def _callback(self, outdata, frames, time_info, status) -> None:
        try:
            if status.output_underflow:
                self.late_blocks += 1
            size = len(self._ring)
            take = min(frames, self.written_frames - self._read)
            start = self._read % size
            first = min(take, size - start)
            outdata[:first] = self._ring[start:start + first]
            outdata[first:take] = self._ring[:take - first]
            outdata[take:] = 0.0
            if take < frames:
                self.ran_dry += 1
            self._read += take
        except Exception:  # an exception would stop the stream silently: play silence
            outdata.fill(0.0)
            self.callback_errors += 1

    def start(self) -> None:
        self._started = True
        self._write_start_silence()
        self._stream.start()

    def space(self) -> int:
        return max(0, self.fill_frames - self.buffered())

    def buffered(self) -> int:
        return self.written_frames - self._read

    def write(self, block: np.ndarray) -> None:
        n = block.shape[1]
        size = len(self._ring)
        start = self.written_frames % size
        first = min(n, size - start)
        self._ring[start:start + first] = block[:, :first].T
        self._ring[:n - first] = block[:, first:].T
        self.written_frames += n

    def check(self) -> None:
        """Nothing to restart: the callback plays silence when the ring is dry."""


def open_output(device, channels: int, sample_rate: int, blocksize: int = 256,
                ring_blocks: int = 8, backend: str = "auto"):
    """RingOutput (rtmixer, callback in C) when it can be had, else CallbackOutput."""
    if backend not in ("auto", "rtmixer", "sounddevice"):
        raise ValueError(f"unknown audio backend {backend!r}")
    _sd()  # PortAudio started (or one line why not) before rtmixer imports sounddevice
    if backend != "sounddevice":
        try:
            import rtmixer  # noqa: F401
        except (ImportError, OSError):
            if backend == "rtmixer":
                raise
        else:
            return RingOutput(device, channels, sample_rate, blocksize, ring_blocks)
    return CallbackOutput(device, channels, sample_rate, blocksize, ring_blocks)
