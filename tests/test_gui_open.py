"""Opening songs without sound: drag and drop, recent songs, the library, keyboard editing of
loops. These run with the engine left out (MainWindow(with_engine=False)): they check what
the window does, the tests in test_gui.py check what it makes the engine do."""
from __future__ import annotations

import pytest
from PyQt6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PyQt6.QtGui import QDragEnterEvent, QDropEvent
from PyQt6.QtWidgets import QApplication

from test_gui_helpers import data_dir  # noqa: F401 (fixture)


@pytest.fixture
def demo_song(cache_dir):
    from woodshed.player.ui.demo_song import import_demo

    return import_demo()


def quiet_window(qtbot):
    from woodshed.player.ui.main_window import MainWindow

    window = MainWindow(with_engine=False)
    qtbot.addWidget(window)
    window.resize(1200, 700)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_dropping_a_song_folder_opens_it_and_remembers_it_as_recent(qtbot, data_dir, demo_song):
    window = quiet_window(qtbot)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(demo_song.dir))])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(QPoint(200, 200), *args)
    window.dragEnterEvent(enter)  # Qt delivers drops only during a real drag: call the handlers
    assert enter.isAccepted()
    window.dropEvent(QDropEvent(QPointF(200, 200), *args))
    qtbot.waitUntil(lambda: window.song_view is not None or bool(window.banner.message), timeout=10000)
    assert window.banner.message == ""
    assert window.song_view.song.key == demo_song.key
    assert window.windowTitle().startswith("Woodshed Groove (demo)")
    assert window.recent()[0] == str(demo_song.dir)
    window.close()

    again = quiet_window(qtbot)  # a new window (a restart) lists it under Open recent
    actions = again.recent_menu.actions()
    assert [a.toolTip() for a in actions] == [str(demo_song.dir)]
    actions[0].trigger()
    qtbot.waitUntil(lambda: again.song_view is not None, timeout=10000)
    assert again.song_view.song.key == demo_song.key
    again.close()


def test_library_double_click_opens_a_cached_song(qtbot, data_dir, demo_song):
    window = quiet_window(qtbot)
    qtbot.waitUntil(lambda: window.library.rowCount() == 1, timeout=5000)
    assert window.library.item(0, 2).text() == "0:29"
    rect = window.library.visualItemRect(window.library.item(0, 0))
    qtbot.mouseClick(window.library.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(window.library.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: window.song_view is not None, timeout=10000)
    window.close()


def test_brackets_set_the_loop_at_the_playhead_and_arrows_move_it(qtbot, data_dir, demo_song):
    window = quiet_window(qtbot)
    window.open_song(demo_song)
    qtbot.waitUntil(lambda: window.song_view is not None, timeout=10000)
    view = window.song_view
    view.seek(10.0)
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Right)
    assert view.position_s == pytest.approx(15.0)
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert view.position_s == pytest.approx(14.0)
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_BracketLeft)
    view.seek(17.5)
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_BracketRight)
    assert view.session.loop == pytest.approx((14.0, 17.5))
    assert view.waveforms.loop_region_s() == pytest.approx((14.0, 17.5))
    assert view.transport.loop.isChecked()
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_L)
    assert not view.transport.loop.isChecked() and view.session.loop_enabled is False
    window.close()


def test_the_view_follows_the_playhead_but_not_while_the_musician_scrolls(qtbot, data_dir, demo_song):
    window = quiet_window(qtbot)
    window.open_song(demo_song)
    qtbot.waitUntil(lambda: window.song_view is not None, timeout=10000)
    wf = window.song_view.waveforms
    wf._paging = True
    wf.set_view(0.0, 5.0)
    wf._paging = False
    wf._looked_away_s = -1e9
    wf.set_playhead(12.0, playing=True)
    x0, x1 = wf.view_range_s()
    assert x0 <= 12.0 <= x1 and x1 - x0 == pytest.approx(5.0)
    wf.set_view(20.0, 25.0)  # by hand
    wf.set_playhead(13.0, playing=True)
    assert wf.view_range_s() == pytest.approx((20.0, 25.0))
    window.close()


def test_f1_shows_the_shortcuts_and_ctrl_e_without_a_song_says_what_to_do(qtbot, data_dir):
    from woodshed.player.ui.shortcuts import ShortcutsDialog

    window = quiet_window(qtbot)
    with qtbot.waitActive(window):  # keys go to the active window
        window.activateWindow()
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_F1)
    dialogs = [d for d in window.findChildren(ShortcutsDialog) if d.isVisible()]
    assert len(dialogs) == 1 and len(dialogs[0].rows) > 15
    dialogs[0].close()
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert "Open a song first" in window.banner.message
    window.close()


def test_dropping_a_folder_of_stems_imports_and_opens_it(qtbot, cache_dir, data_dir, tmp_path):
    import numpy as np
    import soundfile as sf

    folder = tmp_path / "Blue Bossa"
    folder.mkdir()
    t = np.arange(44100 * 3) / 44100
    for name, freq in (("Drums", 80.0), ("Bass", 55.0), ("Piano", 262.0)):
        sf.write(folder / f"{name}.wav", 0.3 * np.sin(2 * np.pi * freq * t), 44100)
    window = quiet_window(qtbot)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    window.dropEvent(QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime,
                                Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    qtbot.waitUntil(lambda: window.song_view is not None or bool(window.banner.message), timeout=20000)
    assert window.banner.message == ""
    assert sorted(window.song_view.strips) == ["bass", "drums", "piano"]
    assert window.song_view.duration_s == pytest.approx(3.0)
    window.close()
