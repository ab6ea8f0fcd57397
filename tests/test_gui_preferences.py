"""File ▸ Preferences (Ctrl+,): output device and buffer size, separation model, model folder
and compute device, stem cache folder and size limit; applied at once and remembered, so the
window works offline without --model-repo."""
from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QDialogButtonBox

from test_gui_helpers import data_dir, open_demo  # noqa: F401 (fixture)

pytest.importorskip("pytestqt")


def quiet_window(qtbot):
    from woodshed.player.ui.main_window import MainWindow

    window = MainWindow(with_engine=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitActive(window):
        window.activateWindow()
    return window


def open_preferences(qtbot, window):
    from woodshed.player.ui.preferences import PreferencesDialog

    qtbot.keyClick(QApplication.focusWidget() or window, ",", Qt.KeyboardModifier.ControlModifier)
    dialogs = [d for d in window.findChildren(PreferencesDialog) if d.isVisible()]
    assert len(dialogs) == 1
    return dialogs[0]


def page(dialog, title: str):
    return dialog.pages[[dialog.tabs.tabText(i) for i in range(dialog.tabs.count())].index(title)]


def test_separation_and_cache_preferences_apply_and_are_remembered(qtbot, cache_dir, data_dir,
                                                                  model_repo, tmp_path):
    from woodshed.separation import cache

    window = quiet_window(qtbot)
    dialog = open_preferences(qtbot, window)
    separation = page(dialog, "Separation")
    separation.model.setCurrentText("test4s")
    separation.folder.setText(str(model_repo))
    separation.compute.setCurrentText("cpu")
    stems = page(dialog, "Stem cache")
    new_cache = tmp_path / "my stems"
    stems.folder.setText(str(new_cache))
    stems.limit.setValue(3.0)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible(), dialog.status.text()
    s = window.separation_settings
    assert (s.model, s.model_repo, s.device) == ("test4s", model_repo, "cpu")
    assert cache.cache_root() == new_cache and cache.size_limit_bytes() == 3_000_000_000
    window.close()

    again = quiet_window(qtbot)  # a restart: no --model-repo, the folder is remembered
    s = again.separation_settings
    assert (s.model, s.model_repo, s.device) == ("test4s", model_repo, "cpu")
    again.close()


def test_a_model_folder_that_does_not_exist_is_said_and_nothing_changes(qtbot, cache_dir, data_dir,
                                                                        tmp_path):
    window = quiet_window(qtbot)
    before = window.separation_settings
    dialog = open_preferences(qtbot, window)
    page(dialog, "Separation").folder.setText(str(tmp_path / "nowhere"))
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "does not exist" in dialog.status.text()
    assert window.separation_settings is before
    dialog.close()
    window.close()


def test_buffer_size_reopens_the_output_with_the_songs_settings(qtbot, cache_dir, data_dir, jack_server):
    window = open_demo(qtbot, jack_server.portaudio_device)
    view = window.song_view
    assert view.engine.blocksize == 256
    view.strips["bass"].mute.setChecked(True)
    view.seek(7.0)
    dialog = open_preferences(qtbot, window)
    audio = page(dialog, "Audio")
    audio.buffer.setCurrentIndex(audio.buffer.findData(1024))
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.engine is not None and view.engine.blocksize == 1024, timeout=15000)
    assert view.engine.effective_gains()["bass"] == 0.0
    assert view.engine.position_s == pytest.approx(7.0, abs=0.05)
    view.play()
    qtbot.waitUntil(lambda: view.engine.position_s > 7.3, timeout=5000)
    window.close()
