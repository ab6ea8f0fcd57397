"""The window's keys as a keyboard sends them: each to QApplication.focusWidget(), shifted
characters as a US keyboard delivers them ("$" with Shift, not "4 with Shift"); every action
of the registry (actions.py) fired by each of its keys, wherever the focus is. The real X
keyboard path (Xvfb + xdotool, several layouts) is in test_gui_xkeys.py."""
from __future__ import annotations

import pytest
from PyQt6.QtCore import QEvent, Qt
from PyQt6.QtGui import QKeyEvent, QKeySequence
from PyQt6.QtWidgets import QApplication

from test_gui_helpers import data_dir, open_quiet  # noqa: F401 (fixture)

pytest.importorskip("pytestqt")

# Actions that open a modal dialog or close the window: the test replaces what they do (the
# key still has to reach them: that is what is checked).
MODAL = ("open_dialog", "import_stems_dialog", "show_library", "export_dialog", "close",
         "show_shortcuts", "show_about", "show_preferences")


def us_press(key: str) -> tuple[str | Qt.Key, Qt.KeyboardModifier]:
    """What a US keyboard sends for a key of the registry: (key or character, modifiers)."""
    from woodshed.player.ui.actions import US_SHIFTED

    mods = Qt.KeyboardModifier.NoModifier
    parts = key.split("+") if key != "+" else ["+"]
    *prefix, last = parts
    for p in prefix:
        mods |= {"Shift": Qt.KeyboardModifier.ShiftModifier, "Ctrl": Qt.KeyboardModifier.ControlModifier,
                 "Alt": Qt.KeyboardModifier.AltModifier}[p]
    if last in US_SHIFTED.values():  # "+", "!", "{": typed with Shift
        return last, mods | Qt.KeyboardModifier.ShiftModifier
    if mods & Qt.KeyboardModifier.ShiftModifier and last in US_SHIFTED:  # Shift+4 sends "$"
        return US_SHIFTED[last], mods
    if len(last) == 1:
        return (last if mods & Qt.KeyboardModifier.ShiftModifier else last.lower()), mods
    return QKeySequence(last)[0].key(), mods


def press(qtbot, window, key: str) -> None:
    """A key press to whatever has the focus (the window when nothing has)."""
    target = QApplication.focusWidget() or window
    k, mods = us_press(key)
    qtbot.keyClick(target, k, mods)


@pytest.fixture
def window(qtbot, cache_dir, data_dir, monkeypatch):
    from woodshed.player.ui.demo_song import import_demo

    w = open_quiet(qtbot, import_demo())
    yield w
    w.close()


def fired(window, qtbot, key: str) -> list[str]:
    seen = []
    window.action_triggered.connect(seen.append)
    press(qtbot, window, key)
    window.action_triggered.disconnect(seen.append)
    return seen


def test_no_two_actions_share_a_key():
    from woodshed.player.ui import actions

    assert actions.conflicts() == {}
    # "Shift+1" and "!" are one press on a US keyboard: the check sees them as one key.
    assert actions.normalised("Shift+1") == actions.normalised("!")
    assert actions.normalised("Shift+=") == actions.normalised("+")
    assert actions.normalised("Shift+Left") != actions.normalised("Left")


def test_registering_the_same_id_twice_is_refused():
    from woodshed.player.ui import actions

    with pytest.raises(ValueError):
        actions.register(actions.get("play.toggle"))


@pytest.mark.parametrize("focus", ["nothing", "lane", "fader", "mute button", "after tempo box"])
def test_every_key_of_every_action_fires_it_wherever_the_focus_is(qtbot, window, focus, monkeypatch):
    from woodshed.player.ui import actions

    for name in MODAL:
        monkeypatch.setattr(window, name, lambda: None)
    view = window.song_view
    if focus == "lane":
        view.waveforms.lanes["drums"].setFocus()
    elif focus == "fader":
        qtbot.mouseClick(view.strips["bass"].fader, Qt.MouseButton.LeftButton)
    elif focus == "mute button":
        qtbot.mouseClick(view.strips["bass"].mute, Qt.MouseButton.LeftButton)
    elif focus == "after tempo box":
        view.transport.tempo_box.setFocus()
        qtbot.keyClick(view.transport.tempo_box, Qt.Key.Key_Return)
        qtbot.wait(10)
    checked = 0
    for action in actions.all_actions():
        for key in action.keys:
            got = fired(window, qtbot, key)
            assert got == [action.id], f"{key!r} (focus on {focus}) fired {got}, not {action.id}"
            checked += 1
    assert checked >= 30


def test_keys_change_the_song_as_named(qtbot, window):
    view = window.song_view
    view.seek(10.0)
    press(qtbot, window, "Right")
    assert view.position_s == pytest.approx(15.0)
    press(qtbot, window, "Shift+Left")
    assert view.position_s == pytest.approx(14.0)
    press(qtbot, window, "[")
    view.seek(17.5)
    press(qtbot, window, "]")
    assert view.session.loop == pytest.approx((14.0, 17.5))
    press(qtbot, window, "Z")  # zoom to the loop
    x0, x1 = view.waveforms.view_range_s()
    assert x0 <= 14.0 and 17.5 <= x1 and x1 - x0 < 4.5
    press(qtbot, window, "Shift+Z")
    assert view.waveforms.view_range_s()[1] - view.waveforms.view_range_s()[0] > 25
    press(qtbot, window, "-")
    assert view.transport.tempo == pytest.approx(0.95)
    press(qtbot, window, "+")  # Shift+= on a US keyboard
    press(qtbot, window, "+")
    assert view.transport.tempo == pytest.approx(1.05)
    # (Toggles, checked against the state before: after the every-key test with the focus on
    # a mute button, this window's bass sometimes starts muted -- seen on main at 73fbcaa too.)
    bass_muted = view.strips["bass"].mute.isChecked()
    press(qtbot, window, "2")
    assert view.strips["bass"].mute.isChecked() is not bass_muted
    lead_soloed = view.strips["lead"].solo.isChecked()
    press(qtbot, window, "Shift+4")  # arrives as "$"
    assert view.strips["lead"].solo.isChecked() is not lead_soloed
    press(qtbot, window, "Ctrl+0")
    assert view.transport.tempo == 1.0


def test_after_enter_or_escape_in_tempo_and_pitch_the_keys_belong_to_the_transport(qtbot, window):
    view = window.song_view
    t = view.transport
    t.tempo_box.setFocus()
    t.tempo_box.selectAll()
    qtbot.keyClicks(QApplication.focusWidget(), "75")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not t.tempo_box.lineEdit()
                    and QApplication.focusWidget() is not t.tempo_box, timeout=1000)
    assert t.tempo == pytest.approx(0.75)
    press(qtbot, window, "-")  # tempo down, not a minus typed into the box
    assert t.tempo == pytest.approx(0.70)
    assert fired(window, qtbot, "Space") == ["play.toggle"]
    view.seek(3.0)
    press(qtbot, window, "Right")
    assert view.position_s == pytest.approx(8.0)
    # Escape: the typed value is dropped, and the keys are back too.
    t.pitch_box.setFocus()
    t.pitch_box.selectAll()
    qtbot.keyClicks(QApplication.focusWidget(), "5")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert t.pitch_box.value() == 0 and view.session.pitch_semitones == 0
    assert t.pitch_box.text().strip().startswith(("0", "+0"))
    press(qtbot, window, "+")
    assert t.tempo == pytest.approx(0.75)


def scan_event(scan_code: int, text: str, shift: bool, alt: bool = False) -> QKeyEvent:
    """A key press as X11 reports it: the key's position (scan code) and the character."""
    mods = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
    if alt:
        mods |= Qt.KeyboardModifier.AltModifier
    key = ord(text.upper()) if text.isascii() else 0
    return QKeyEvent(QEvent.Type.KeyPress, key, mods, scan_code, 0, 0, text)


@pytest.mark.parametrize("layout, unshifted, shifted", [
    ("us", "3", "#"), ("uk", "3", "£"), ("german", "3", "§"), ("french", '"', "3")])
def test_mute_and_solo_follow_the_digit_rows_third_key_on_every_layout(qtbot, window, layout,
                                                                        unshifted, shifted):
    view = window.song_view
    third_key = 12  # X11 scan code of the digit row's third key
    target = QApplication.focusWidget() or window
    QApplication.sendEvent(target, scan_event(third_key, unshifted, shift=False))
    assert view.strips["piano"].mute.isChecked(), "unshifted third key mutes stem 3"
    QApplication.sendEvent(target, scan_event(third_key, shifted, shift=True))
    assert view.strips["piano"].solo.isChecked(), "shifted third key solos stem 3"
    assert not view.strips["drums"].solo.isChecked()


def test_on_a_french_keyboard_the_minus_key_slows_down_and_alt_mutes_stem_6(qtbot, window):
    """The digit row's sixth key types "-" on a French keyboard: the musician reads the key
    cap, so it is tempo down; Alt + that key mutes stem 6 (Alt + the row's Nth key mutes stem
    N on every layout, Alt+Shift solos)."""
    view = window.song_view
    seen = []
    window.action_triggered.connect(seen.append)
    sixth_key = 15  # X11 scan code
    target = QApplication.focusWidget() or window
    QApplication.sendEvent(target, scan_event(sixth_key, "-", shift=False))
    assert seen == ["play.slower"] and view.transport.tempo == pytest.approx(0.95)
    QApplication.sendEvent(target, scan_event(sixth_key, "-", shift=False, alt=True))
    assert seen[1:] == ["mix.mute_6"]  # (the demo has four stems: the action is what counts)
    QApplication.sendEvent(target, scan_event(sixth_key, "6", shift=True))
    assert seen[2:] == ["mix.solo_6"]
    QApplication.sendEvent(target, scan_event(12, '"', shift=False, alt=True))  # Alt + third key
    assert view.strips["piano"].mute.isChecked()
    QApplication.sendEvent(target, scan_event(12, "3", shift=True, alt=True))
    assert view.strips["piano"].solo.isChecked()


def test_digits_typed_into_a_box_are_digits_not_mutes(qtbot, window):
    view = window.song_view
    view.transport.pitch_box.setFocus()
    view.transport.pitch_box.selectAll()
    qtbot.keyClicks(QApplication.focusWidget(), "2")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert view.session.pitch_semitones == 2
    assert not view.strips["bass"].mute.isChecked()


def test_the_f1_list_is_grouped_in_two_columns_and_fits_on_the_screen(qtbot, window):
    from woodshed.player.ui.shortcuts import ShortcutsDialog

    press(qtbot, window, "F1")
    dialogs = [d for d in window.findChildren(ShortcutsDialog) if d.isVisible()]
    assert len(dialogs) == 1
    dialog = dialogs[0]
    qtbot.waitExposed(dialog)
    assert dialog.rows["Space or PgDown or Media Play or Toggle Media Play/Pause"] == "Play / pause"
    assert dialog.rows["Shift+1 … 9 or Alt+Shift+1 … 9"] == "Solo stem N"
    assert dialog.rows["Z"] == "Zoom to the loop"
    hint = dialog.sizeHint()
    assert hint.height() <= 700 and hint.width() <= 1200, hint  # a laptop screen, no scrolling
    dialog.close()
