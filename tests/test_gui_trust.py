"""The window and songs that change under it: separation finishing, opens racing each other."""
from __future__ import annotations

import pytest
import soundfile as sf
from PyQt6.QtCore import Qt

import stem_songs
from test_gui_helpers import data_dir  # noqa: F401 (fixture)

pytest.importorskip("pytestqt")


def partial_song(key: str = "partial", seconds: float = 3.0):
    """A cached song whose second half is not separated yet."""
    song = stem_songs.tone_song(seconds, key=key)
    m = song.manifest
    m.block_starts, m.blocks_done = [0, int(seconds / 2 * stem_songs.RATE)], [True, False]
    m.save(song.dir)
    return song.reload()


def test_a_song_that_finished_separating_without_a_device_exports(qtbot, cache_dir, data_dir,
                                                                  tmp_path):
    from woodshed.player.ui.export_dialog import ExportDialog
    from woodshed.player.ui.main_window import MainWindow
    from woodshed.separation.manifest import Manifest

    song = partial_song()
    window = MainWindow(with_engine=False)  # no audio device: no engine follows the manifest
    qtbot.addWidget(window)
    window.open_song(song)
    qtbot.waitUntil(lambda: window.song_view is not None, timeout=20000)
    finished = Manifest.load(song.dir)  # the worker's own copy, not the window's
    finished.blocks_done = [True, True]
    finished.save(song.dir)          # as the separation worker does with its last block
    dialog = ExportDialog(window.song_view, window.tasks, window)
    qtbot.addWidget(dialog)
    out = tmp_path / "backing.wav"
    dialog.path.setText(str(out))
    qtbot.mouseClick(dialog.export, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.export.isEnabled(),
                    timeout=30000)
    assert dialog.result_path == out, dialog.status.text()
    assert sf.info(str(out)).duration == pytest.approx(3.0, abs=0.01)
    window.close()
