"""Real MIDI through a real port: a virtual output on the JACK dummy server (python-rtmidi's
JACK backend), heard by Woodshed's MIDI inputs, driving an engine that plays on that server.
Devices appearing and vanishing mid-song, SysEx floods, running status, malformed bytes."""
from __future__ import annotations

import time

import pytest

import stem_songs
from woodshed.player.engine.engine import Engine
from woodshed.player.midi import bindings as b
from woodshed.player.midi.controller import MidiController
from woodshed.player.midi.inputs import MidiInputs, list_inputs

rtmidi = pytest.importorskip("rtmidi")
SCAN_S = 0.1


def wait_until(condition, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


class Pedal:
    """A MIDI device: a virtual output port on the JACK server, as a pedal board's driver makes."""

    def __init__(self, port_name: str = "Pedal Out", client: str = "pedal"):
        self.out = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name=client)
        self.out.open_virtual_port(port_name)
        self.device = f"{client}:{port_name}"

    def send(self, *message: int) -> None:
        self.out.send_message(list(message))

    def unplug(self) -> None:
        """Idempotent: rtmidi crashes on a port used after delete()."""
        out, self.out = self.out, None
        if out is not None:
            out.close_port()
            out.delete()


@pytest.fixture
def pedal(jack_server):
    pedal = Pedal()
    yield pedal
    pedal.unplug()


@pytest.fixture
def playing_engine(jack_server, cache_dir):
    engine = Engine(stem_songs.tone_song(seconds=30.0), device=jack_server.portaudio_device)
    engine.start()
    engine.play()
    yield engine
    engine.close()


@pytest.fixture
def controller(playing_engine, tmp_path):
    done, statuses = [], []
    controller = MidiController(playing_engine, tmp_path / b.BINDINGS_FILE,
                                on_action=lambda action, value: done.append(action),
                                on_status=statuses.append)
    controller.done, controller.statuses = done, statuses
    yield controller
    controller.stop()


def test_the_jack_backend_lists_a_virtual_port(pedal):
    ports, notes = list_inputs()
    assert pedal.device in [p.device for p in ports if p.backend == "JACK"], (ports, notes)


def test_a_pedal_plugged_in_later_plays_pauses_and_mutes_the_engine(jack_server, controller,
                                                                   playing_engine):
    controller.listen(scan_s=SCAN_S)
    time.sleep(3 * SCAN_S)  # listening before the device exists
    pedal = Pedal()
    try:
        assert wait_until(lambda: any(p.device == pedal.device
                                      for p in controller.inputs.open_ports())), controller.statuses
        assert any("connected" in s and pedal.device in s for s in controller.statuses)
        controller.bind(pedal.device, b.Binding(b.Control("note", 0, 60), "mix.mute_2"))
        pedal.send(0xB0, 64, 127)         # sustain down: play/pause (the defaults, kept)
        assert wait_until(lambda: not playing_engine.playing)
        pedal.send(0xB0, 64, 0)
        pedal.send(0xB0, 64, 127)
        assert wait_until(lambda: playing_engine.playing)
        stem = playing_engine.stems[1]
        pedal.send(0x90, 60, 100)
        assert wait_until(lambda: playing_engine.controls.muted(stem))
        assert playing_engine.error is None
    finally:
        pedal.unplug()


def test_a_device_that_vanishes_mid_song_leaves_playback_alone_and_comes_back(
        jack_server, controller, playing_engine):
    pedal = Pedal()
    controller.listen(scan_s=SCAN_S)
    assert wait_until(lambda: controller.inputs.open_ports())
    pedal.unplug()
    assert wait_until(lambda: not controller.inputs.open_ports())
    assert any("disconnected" in s for s in controller.statuses)
    position_s = playing_engine.position_s
    assert wait_until(lambda: playing_engine.position_s > position_s + 0.2)  # still playing
    assert playing_engine.error is None and playing_engine.playing
    again = Pedal()                                # plugged back in: works again
    try:
        assert wait_until(lambda: controller.inputs.open_ports())
        again.send(0xB0, 64, 127)
        assert wait_until(lambda: not playing_engine.playing)
    finally:
        again.unplug()


def test_a_sysex_flood_running_status_and_malformed_bytes_do_not_stop_anything(
        pedal, controller, playing_engine):
    controller.bind(pedal.device, b.Binding(b.Control("note", 0, 60), "play.slower"))
    controller.bind(pedal.device, b.Binding(b.Control("note", 0, 62), "mix.mute_1"))
    controller.listen(scan_s=SCAN_S)
    assert wait_until(lambda: controller.inputs.open_ports())
    for _ in range(2000):                          # a controller dumping its patches
        pedal.send(0xF0, 0x00, 0x20, 0x32, *range(100), 0xF7)
    pedal.send(0x85, 0xFF)                         # a note-off cut short, a bad status
    pedal.send(0xF4, 1, 2)                         # an undefined system message
    pedal.send(0x90, 60, 100)
    pedal.send(62, 100)                            # running status: a second note-on
    assert wait_until(lambda: controller.done == ["play.slower", "mix.mute_1"]), controller.done
    assert playing_engine.tempo == 0.95 and playing_engine.controls.muted(playing_engine.stems[0])
    assert playing_engine.error is None and playing_engine.playing


def test_inputs_run_on_their_own_thread_and_report_each_message(pedal):
    import threading

    got = []
    with MidiInputs(lambda port, message, time_s: got.append(
            (port.device, message, threading.get_native_id())), scan_s=SCAN_S) as inputs:
        assert wait_until(lambda: inputs.open_ports())
        pedal.send(0xB0, 64, 127)
        assert wait_until(lambda: got)
    device, message, thread_id = got[0]
    assert device == pedal.device and message.type == "control_change" and message.value == 127
    assert thread_id == inputs.thread_id != threading.get_native_id()
