"""Every MIDI input of every backend python-rtmidi offers, kept open as devices come and go.

Backends: ALSA and JACK on Linux, CoreMIDI on macOS, Windows MM (whichever the installed
python-rtmidi was built with and the machine can open). A port is named by its backend and its
device name; device names leave out ALSA's client:port numbers, which change between plug-ins,
so bindings saved for a device find it again.

Threads (each method says who calls it):
- the caller's thread: ``start``, ``stop``, ``open_ports``.
- the MIDI thread ("woodshed-midi"): scans for new and vanished ports every ``scan_s``,
  decodes messages, and calls ``on_message`` and ``on_change``. Nothing here runs on the
  audio path.
- the backends' own threads: ALSA's, CoreMIDI's and Windows MM's callbacks only put the raw
  bytes on a queue. JACK's callback would run on JACK's real-time process thread, where taking
  Python's GIL could hold up the whole JACK graph (audio included): JACK ports are polled from
  the MIDI thread instead (every ``jack_poll_s``), out of rtmidi's lock-free queue.
"""
from __future__ import annotations

import logging
import os
import queue
import re
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from .decode import Decoder

log = logging.getLogger(__name__)

CLIENT_NAME = "woodshed"
SCAN_S = 1.0          # how often to look for devices plugged in or unplugged
JACK_POLL_S = 0.002   # JACK ports: how often to drain rtmidi's queue (latency vs. wake-ups)
QUEUE_LIMIT = 1024    # rtmidi's queue per JACK port: a flood drops messages, never grows memory
_ALSA_NUMBERS = re.compile(r"\s+\d+:\d+$")  # "FCB1010:FCB1010 MIDI 1 20:0" -> numbers change


def _rtmidi():
    try:
        import rtmidi
    except ImportError as exc:  # pragma: no cover - a dependency; said in one line if missing
        from woodshed.separation.errors import UserError

        raise UserError(f"MIDI needs python-rtmidi ({exc}); pip install python-rtmidi") from None
    return rtmidi


@dataclass(frozen=True)
class PortInfo:
    backend: str        # "ALSA", "JACK", "CoreMIDI", "Windows MM"
    name: str           # the backend's own name for the port (how it is opened)

    @property
    def device(self) -> str:
        """The name bindings are saved under: stable across re-plugging."""
        return _ALSA_NUMBERS.sub("", self.name) if self.backend == "ALSA" else self.name

    def __str__(self) -> str:
        return f"{self.device} ({self.backend})"


def _backend_label(rtmidi, api: int) -> str:
    return {rtmidi.API_LINUX_ALSA: "ALSA", rtmidi.API_UNIX_JACK: "JACK",
            rtmidi.API_MACOSX_CORE: "CoreMIDI", rtmidi.API_WINDOWS_MM: "Windows MM"}.get(
        api, rtmidi.get_api_display_name(api))


def jack_server_running() -> bool:
    """Whether a JACK server answers, asked without libjack (which prints three lines to
    stderr each time it finds none). On Linux, jackd listens on a socket in /dev/shm or /tmp;
    elsewhere, just try."""
    if not sys.platform.startswith("linux"):
        return True
    server = os.environ.get("JACK_DEFAULT_SERVER", "default")
    for folder in ("/dev/shm", "/tmp"):
        path = f"{folder}/jack_{server}_{os.getuid()}_0"
        if not os.path.exists(path):
            continue
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            return True
        except OSError:
            continue  # left behind by a server that died
        finally:
            sock.close()
    return False


def backend_available(rtmidi, api: int) -> str | None:
    """None if the backend can be opened here, else why not (one line)."""
    if api == rtmidi.API_LINUX_ALSA and not os.path.exists("/dev/snd/seq"):
        return "no ALSA sequencer (/dev/snd/seq)"  # asking ALSA prints an error to stderr
    if api == rtmidi.API_UNIX_JACK and not jack_server_running():
        return "no JACK server running"
    return None


def backends() -> list[tuple[int, str]]:
    """(rtmidi API, label) of each real backend python-rtmidi was built with."""
    rtmidi = _rtmidi()
    return [(api, _backend_label(rtmidi, api)) for api in rtmidi.get_compiled_api()
            if api not in (rtmidi.API_RTMIDI_DUMMY, rtmidi.API_UNSPECIFIED)]


class PortLister:
    """Lists the input ports of every backend, keeping one probe client per backend (opening a
    JACK client every second would reshuffle JACK's graph each time)."""

    def __init__(self):
        self._rtmidi = _rtmidi()
        self._probes: dict[int, object] = {}

    def list(self, open_inputs: dict | None = None) -> tuple[list[PortInfo], list[str]]:
        """Every input port, and one line per backend that could not be asked.
        ``open_inputs`` (rtmidi API -> an open MidiIn) lists instead of a probe of our own:
        on JACK each client wakes every period, so one fewer costs measurably less CPU."""
        ports, notes = [], []
        for api, label in backends():
            why = backend_available(self._rtmidi, api)
            if why is None:
                try:
                    probe = (open_inputs or {}).get(api)
                    if probe is not None:
                        self._drop(api)
                    else:
                        probe = self._probes.get(api)
                    if probe is None:
                        probe = self._probes[api] = self._rtmidi.MidiIn(
                            rtapi=api, name=f"{CLIENT_NAME}-list")
                    ports.extend(PortInfo(label, name) for name in probe.get_ports())
                    continue
                except Exception as exc:  # rtmidi's SystemError: a backend failing to start
                    why = str(exc)
            self._drop(api)  # its server went away: a new probe when it is back
            notes.append(f"{label}: {why}")
        return ports, notes

    def _drop(self, api: int) -> None:
        probe = self._probes.pop(api, None)
        if probe is not None:
            try:
                probe.delete()
            except Exception:
                pass

    def close(self) -> None:
        for api in list(self._probes):
            self._drop(api)


def list_inputs() -> tuple[list[PortInfo], list[str]]:
    """Every input port of every backend, and one line per backend that could not be asked."""
    lister = PortLister()
    try:
        return lister.list()
    finally:
        lister.close()


@dataclass
class _OpenPort:
    info: PortInfo
    midi_in: object          # rtmidi.MidiIn
    polled: bool             # JACK: drained by the MIDI thread, no callback
    api: int = 0             # rtmidi API
    decoder: Decoder = field(default_factory=Decoder)


class MidiInputs:
    """Opens every input (or those ``want(port)`` accepts) and keeps up with the devices.

    ``on_message(port, message, time_s)`` gets each decoded mido message on the MIDI thread,
    ``time_s`` on ``time.monotonic()``; ``on_change(line)`` says in one line that a device
    appeared, vanished or failed. ``wake`` (optional) returns how long until the listener
    needs ``on_wake()`` (for double-tap timing), or None.
    """

    def __init__(self, on_message: Callable, on_change: Callable[[str], None] | None = None,
                 want: Callable[[PortInfo], bool] | None = None, scan_s: float = SCAN_S,
                 jack_poll_s: float = JACK_POLL_S, wake: Callable[[], float | None] | None = None,
                 on_wake: Callable[[], None] | None = None):
        self.on_message = on_message
        self.on_change = on_change or (lambda line: None)
        self.want = want or (lambda port: True)
        self.scan_s = scan_s
        self.jack_poll_s = jack_poll_s
        self.wake = wake or (lambda: None)
        self.on_wake = on_wake or (lambda: None)
        self._open: dict[PortInfo, _OpenPort] = {}
        self._raw: queue.SimpleQueue = queue.SimpleQueue()   # (port, bytes, time_s)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()    # guards _open for open_ports()
        self._lister: PortLister | None = None
        self._refused: set[PortInfo] = set()   # said once; tried again quietly each scan
        self.thread_id: int | None = None

    # --- caller's thread -----------------------------------------------------------------
    def start(self) -> "MidiInputs":
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="woodshed-midi", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._raw.put(None)  # wake the thread
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._lock:
            for port in list(self._open.values()):
                self._close(port)
            self._open.clear()
        if self._lister is not None:
            self._lister.close()
            self._lister = None

    def open_ports(self) -> list[PortInfo]:
        with self._lock:
            return list(self._open)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- MIDI thread -----------------------------------------------------------------------
    def _run(self) -> None:
        self.thread_id = threading.get_native_id()
        next_scan = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_scan:
                self._scan()
                next_scan = time.monotonic() + self.scan_s
            timeout = next_scan - time.monotonic()
            if any(port.polled for port in self._open.values()):
                timeout = min(timeout, self.jack_poll_s)
            wake_in = self.wake()
            if wake_in is not None:
                timeout = min(timeout, wake_in)
            try:
                item = self._raw.get(timeout=max(0.0, timeout))
            except queue.Empty:
                item = None
            while item is not None:
                self._deliver(*item)
                try:
                    item = self._raw.get_nowait()
                except queue.Empty:
                    item = None
            self._poll_jack()
            try:
                self.on_wake()
            except Exception:
                log.exception("MIDI timer failed")

    def _poll_jack(self) -> None:
        for port in list(self._open.values()):
            if not port.polled:
                continue
            while True:
                try:
                    event = port.midi_in.get_message()
                except Exception:
                    break
                if not event:
                    break
                self._deliver(port.info, event[0], time.monotonic())

    def _deliver(self, info: PortInfo, data, time_s: float) -> None:
        port = self._open.get(info)
        if port is None:
            return  # closed meanwhile
        try:
            messages = port.decoder.decode(data)
        except Exception as exc:  # malformed beyond what the parser forgives: drop it
            log.debug("dropped malformed MIDI from %s: %r (%s)", info, data, exc)
            return
        for message in messages:
            try:
                self.on_message(info, message, time_s)
            except Exception:
                log.exception("MIDI message %s from %s failed", message, info)

    def _scan(self) -> None:
        try:
            if self._lister is None:
                self._lister = PortLister()
            present, _notes = self._lister.list(
                {port.api: port.midi_in for port in self._open.values()})
        except Exception:
            log.exception("listing MIDI inputs failed")
            return
        present = [p for p in present if self.want(p)]
        with self._lock:
            for info in [i for i in self._open if i not in present]:
                self._close(self._open.pop(info))
                self.on_change(f"MIDI device {info} disconnected")
            self._refused &= set(present)
            for info in present:
                if info not in self._open:
                    port = self._open_port(info)
                    if port is not None:
                        self._open[info] = port
                        self._refused.discard(info)
                        self.on_change(f"MIDI device {info} connected")

    def _open_port(self, info: PortInfo) -> _OpenPort | None:
        rtmidi = _rtmidi()
        api = next(api for api, label in backends() if label == info.backend)
        try:
            midi_in = rtmidi.MidiIn(rtapi=api, name=CLIENT_NAME, queue_size_limit=QUEUE_LIMIT)
            names = midi_in.get_ports()
            if info.name not in names:
                midi_in.delete()
                return None  # gone between the scan and now
            midi_in.ignore_types(sysex=True, timing=True, active_sense=True)
            midi_in.open_port(names.index(info.name), name="in")
        except Exception as exc:  # another program holds it (Windows MM), a backend error
            if info not in self._refused:
                self._refused.add(info)
                self.on_change(f"MIDI device {info} could not be opened: {exc}")
            return None
        polled = api == rtmidi.API_UNIX_JACK
        if not polled:
            raw = self._raw
            midi_in.set_callback(lambda event, _data: raw.put((info, event[0], time.monotonic())))
        return _OpenPort(info, midi_in, polled, api)

    @staticmethod
    def _close(port: _OpenPort) -> None:
        try:
            if not port.polled:
                port.midi_in.cancel_callback()
            port.midi_in.close_port()
            port.midi_in.delete()
        except Exception:  # a device that vanished may fail to close; it is gone either way
            log.debug("closing %s failed", port.info, exc_info=True)
