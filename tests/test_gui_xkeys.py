"""The window's keys through a real X keyboard: Xvfb, `setxkbmap` for the layout and
`xdotool` pressing keys by their keycode (a finger on a key) or keysym, through XTEST, X and
Qt's xcb keyboard handling: the path on which "Shift+1" and "!" bound together never fired.

Qt picks its platform once per process and the other GUI tests run offscreen, so the window
runs in a child process (this file run as a script) that presses the keys and prints what
each did as JSON lines.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from xvfb_display import unavailable, xvfb_display  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parent.parent
LAYOUTS = ("us", "gb", "de", "fr")
THIRD_DIGIT_KEYCODE = 12  # X keycode of the digit row's third key, whatever it types
# Registry keys as X keysyms (xdotool adds Shift or AltGr as the layout needs).
KEYSYMS = {"Space": "space", "-": "minus", "+": "plus", "=": "equal", "[": "bracketleft",
           "]": "bracketright", ",": "comma", ".": "period", "PgDown": "Next", "PgUp": "Prior",
           "Media Play": "XF86AudioPlay", "Media Pause": "XF86AudioPause",
           "Media Stop": "XF86AudioStop", "Media Next": "XF86AudioNext",
           "Media Previous": "XF86AudioPrev"}
# Qt keys X has no keysym of its own for (X sends XF86AudioPlay, tested as "Media Play").
NO_X_KEYSYM = {"Toggle Media Play/Pause"}

# On a French keyboard the digit row's sixth key types "-": it is tempo down there (what the
# key types wins), and Alt + that key mutes stem 6 (Alt + the row's Nth key, every layout).
PHYSICAL_INSTEAD = {"fr": {"6": "play.slower"}}


def keysym(key: str) -> str:
    if key in KEYSYMS:
        return KEYSYMS[key]
    *mods, last = key.split("+") if key != "+" else ["+"]
    last = KEYSYMS.get(last, last.lower() if len(last) == 1 else last)
    return "+".join([*(m.lower() for m in mods), last])


def test_keys_through_a_real_x_keyboard_on_four_layouts(xvfb_display, cache_dir, tmp_path):
    if shutil.which("xdotool") is None or shutil.which("setxkbmap") is None:
        unavailable("xdotool or setxkbmap not installed (apt-get install xdotool x11-xkb-utils)")
    env = {**os.environ, "DISPLAY": xvfb_display, "QT_QPA_PLATFORM": "xcb",
           "WOODSHED_DATA_DIR": str(tmp_path / "data")}
    child = subprocess.run([sys.executable, __file__], env=env, cwd=ROOT, capture_output=True,
                           text=True, timeout=300)
    assert child.returncode == 0, child.stderr[-3000:]
    got = {}
    for line in child.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            got[(row["layout"], row["case"])] = row["value"]
    for layout in LAYOUTS:
        # The digit row by position: mute stem 3, Shift: solo stem 3 (French: the key types
        # '"' unshifted and "3" shifted, and still mutes and solos). "-" slows down on every
        # layout (French: the sixth digit key; Alt + it mutes stem 6: "every key" checks).
        assert got[(layout, "third key mutes stem 3")] is True, layout
        assert got[(layout, "shift + third key solos stem 3")] is True, layout
        assert got[(layout, "other stems untouched")] is True, layout
        # Typing a tempo, Enter, then the transport's keys.
        assert got[(layout, "typed tempo applied")] == pytest.approx(0.75), layout
        assert got[(layout, "space after enter plays")] == ["play.toggle"], layout
        assert got[(layout, "minus after enter slows down")] == pytest.approx(0.70), layout
        assert got[(layout, "right arrow after enter seeks")] == pytest.approx(8.0), layout
        # Escape: the typed pitch dropped, the keys are back.
        assert got[(layout, "pitch after escape")] == 0, layout
        assert got[(layout, "plus after escape speeds up")] == pytest.approx(0.75), layout
        misses = {key: fired for key, fired in got[(layout, "every key")].items() if fired is not True}
        assert misses == {}, f"{layout}: keys that fired nothing or the wrong action: {misses}"


def _child() -> None:
    """Child process: the window on the demo song (no audio), keys pressed through X."""
    sys.path[:0] = [str(Path(__file__).resolve().parent), str(ROOT)]
    from PyQt6.QtTest import QTest
    from PyQt6.QtWidgets import QMainWindow

    from woodshed.player.ui import actions
    from woodshed.player.ui.app import make_application
    from woodshed.player.ui.demo_song import import_demo
    from woodshed.player.ui.main_window import MainWindow

    app = make_application()
    window = MainWindow(with_engine=False)
    for name in ("open_dialog", "import_stems_dialog", "show_library", "export_dialog", "close",
                 "show_shortcuts", "show_about", "show_preferences"):
        setattr(window, name, lambda: None)  # the key must reach them; no modal dialogs here
    window.resize(1200, 700)
    window.show()
    window.open_song(import_demo())
    while window.song_view is None:
        QTest.qWait(50)
    window.activateWindow()
    QTest.qWait(300)
    view = window.song_view
    display = os.environ["DISPLAY"]
    seen: list[str] = []
    window.action_triggered.connect(seen.append)

    def key(*args: str, settle_ms: int = 250) -> list[str]:
        """Press through X; what the window did, once it has had settle_ms to do it (X
        delivers asynchronously: a busy machine needs the time)."""
        seen.clear()
        subprocess.run(["xdotool", *args], check=True)
        QTest.qWait(settle_ms)
        return list(seen)

    def report(layout, case, value):
        print(json.dumps({"layout": layout, "case": case, "value": value}), flush=True)

    for layout in LAYOUTS:
        subprocess.run(["setxkbmap", "-display", display, layout], check=True)
        QTest.qWait(300)
        for strip in view.strips.values():
            strip.mute.setChecked(False)
            strip.solo.setChecked(False)
        view.reset_tempo_and_pitch()
        view.take_keys()
        QTest.qWait(50)
        key("key", str(THIRD_DIGIT_KEYCODE))
        report(layout, "third key mutes stem 3", view.strips["piano"].mute.isChecked())
        key("key", f"shift+{THIRD_DIGIT_KEYCODE}")
        report(layout, "shift + third key solos stem 3", view.strips["piano"].solo.isChecked())
        report(layout, "other stems untouched",
               not any(s.mute.isChecked() or s.solo.isChecked()
                       for n, s in view.strips.items() if n != "piano"))

        box = view.transport.tempo_box
        box.setFocus()
        box.selectAll()
        QTest.qWait(50)
        key("type", "75")
        key("key", "Return")
        report(layout, "typed tempo applied", view.transport.tempo)
        report(layout, "space after enter plays", key("key", "space"))
        key("key", "minus")  # on a French keyboard: the digit row's sixth key
        report(layout, "minus after enter slows down", view.transport.tempo)
        view.seek(3.0)
        key("key", "Right")
        report(layout, "right arrow after enter seeks", view.position_s)
        pitch = view.transport.pitch_box
        pitch.setFocus()
        pitch.selectAll()
        QTest.qWait(50)
        key("type", "5")
        key("key", "Escape")
        report(layout, "pitch after escape", view.session.pitch_semitones)
        key("key", "plus")
        report(layout, "plus after escape speeds up", view.transport.tempo)

        every = {}
        for action in actions.all_actions():
            for k in action.keys:
                if k in NO_X_KEYSYM:
                    continue
                expected = action.id
                if action.by_physical_key:  # the row's Nth key, with Shift and/or Alt
                    *mods, digit = k.split("+")
                    code = THIRD_DIGIT_KEYCODE - 3 + int(digit)
                    sym = "+".join([*(m.lower() for m in mods), str(code)])
                    expected = PHYSICAL_INSTEAD.get(layout, {}).get(k, expected)
                else:
                    sym = keysym(k)
                got_ids = key("key", "--clearmodifiers", sym, settle_ms=150)
                every[k] = True if got_ids == [expected] else got_ids  # what it fired instead
        report(layout, "every key", every)
    QMainWindow.close(window)  # (window.close was replaced above)
    app.processEvents()


if __name__ == "__main__":
    _child()
