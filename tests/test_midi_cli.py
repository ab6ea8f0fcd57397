"""`woodshed midi` and `woodshed play --midi` in their own processes, with a real MIDI device:
a virtual port on the JACK dummy server (python-rtmidi's JACK backend)."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path


import stem_songs
from test_midi_ports import Pedal

REPO = Path(__file__).resolve().parents[1]


class Lines:
    """A child's stdout read line by line on a thread, so a test can wait for one."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.seen: list[str] = []
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout_s: float = 20.0) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.05)
            except queue.Empty:
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r} in {self.seen}")


def _start(*args) -> tuple[subprocess.Popen, Lines]:
    process = subprocess.Popen([sys.executable, "-m", "woodshed.player", *args], cwd=REPO,
                               env=dict(os.environ), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return process, Lines(process)


def _stop(process: subprocess.Popen) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


def test_midi_lists_inputs_and_prints_each_message_as_it_arrives(jack_server):
    pedal = Pedal()
    process, lines = _start("midi")
    try:
        listed = lines.wait_for(pedal.device)
        assert "JACK" in listed
        lines.wait_for("listening")
        lines.wait_for("connected")
        pedal.send(0xB0, 64, 127)
        assert lines.wait_for("CC 64") == f"{pedal.device}: CC 64 (channel 1) = 127"
        pedal.send(0x91, 60, 100)
        assert lines.wait_for("note 60") == f"{pedal.device}: note 60 (channel 2) on (100)"
        late = Pedal("Late Out", client="late")   # plugged in while it runs
        try:
            lines.wait_for("late:Late Out (JACK) connected")
            late.send(0xC0, 5)
            assert lines.wait_for("late:") == "late:Late Out: program 5 (channel 1)"
        finally:
            late.unplug()
        lines.wait_for("late:Late Out (JACK) disconnected")
        assert _stop(process) == 0, process.stderr.read()
    finally:
        pedal.unplug()
        if process.poll() is None:
            process.kill()


def test_midi_without_any_device_says_so_and_waits(monkeypatch):
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "woodshed-no-such-server")
    process, lines = _start("midi")
    try:
        lines.wait_for("no MIDI input yet")
        lines.wait_for("listening")
        assert _stop(process) == 0
        assert "Traceback" not in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()


def test_play_midi_takes_commands_from_a_pedal(jack_server, cache_dir):
    song = stem_songs.tone_song(seconds=60.0)
    pedal = Pedal()
    process, lines = _start("play", str(song.dir), "--device", str(jack_server.portaudio_device),
                            "--midi")
    try:
        lines.wait_for(f"{pedal.device} (JACK) connected")
        pedal.send(0xB0, 64, 127)            # the sustain pedal's default: play / pause
        lines.wait_for("MIDI: Play / pause")
        pedal.send(0xB0, 64, 0)
        pedal.send(0xB0, 64, 127)
        lines.wait_for("MIDI: Play / pause")
        time.sleep(0.3)
        assert process.poll() is None        # a pedal's pause does not end the program
        assert _stop(process) in (0, 130), process.stderr.read()
    finally:
        pedal.unplug()
        if process.poll() is None:
            process.kill()
