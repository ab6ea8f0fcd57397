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


def _library_dialog(window):
    from woodshed.player.ui.library import LibraryDialog

    dialogs = [w for w in window.findChildren(LibraryDialog) if w.isVisible()]
    return dialogs[-1] if dialogs else None


def test_double_click_in_the_library_while_the_demo_plays(qtbot, cache_dir, data_dir, jack_server):
    """Reproduced: play the demo, File > Library, double-click a song: PortAudio asserted
    (the process aborted) or the device said 'Insufficient memory'. One song opens, and plays."""
    from test_gui_helpers import open_demo

    other = stem_songs.tone_song(4.0, key="other")
    window = open_demo(qtbot, jack_server.portaudio_device)
    view = window.song_view
    view.transport.play.click()
    qtbot.waitUntil(lambda: view.engine.position_s > 0.3, timeout=5000)
    window.show_library()
    qtbot.waitUntil(lambda: _library_dialog(window) is not None, timeout=5000)
    table = _library_dialog(window).table
    row = next(r for r, s in enumerate(table.songs) if s.key == other.key)
    cell = table.visualItemRect(table.item(row, 0)).center()
    chosen = []
    table.song_chosen.connect(chosen.append)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)  # as a hand does:
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)  # click, then again
    assert len(chosen) == 1  # one double-click, one open
    qtbot.waitUntil(lambda: window.song_view is not view and window.song_view is not None
                    and not window.loading, timeout=20000)
    qtbot.wait(1500)  # a second open racing the first would land now
    new = window.song_view
    assert new.song.key == other.key
    assert new.engine is not None and new.engine.error is None, window.banner.message
    assert window.banner.message == ""
    new.transport.play.click()
    qtbot.waitUntil(lambda: new.engine.position_s > 0.3, timeout=5000)
    window.close()


def test_opens_in_quick_succession_end_with_the_last_song_playing(qtbot, cache_dir, data_dir,
                                                                 jack_server):
    """A second open while one is opening supersedes it: no two engines at once (PortAudio's
    JACK ports collide: 'Insufficient memory'), the last song chosen is the one shown."""
    from test_gui_helpers import open_demo

    songs = [stem_songs.tone_song(3.0, key=f"song{k}") for k in range(4)]
    window = open_demo(qtbot, jack_server.portaudio_device)
    window.song_view.transport.play.click()
    for song in songs:                       # four clicks in the library, faster than opening
        window.open_song(song)
    qtbot.waitUntil(lambda: not window.loading and window.song_view is not None
                    and window.song_view.song.key == songs[-1].key, timeout=20000)
    qtbot.wait(1000)                         # what a superseded open might still do lands now
    view = window.song_view
    assert view.song.key == songs[-1].key
    assert view.engine is not None and view.engine.error is None, window.banner.message
    assert window.banner.message == ""
    view.transport.play.click()
    qtbot.waitUntil(lambda: view.engine.position_s > 0.3, timeout=5000)
    window.close()
    assert window.audio.wait_idle(0.1)
    # the superseded songs are no longer held in use: they may be evicted again
    from woodshed.separation import cache
    assert [cache.in_use(song) for song in songs] == [False, False, False, False]


_QUIT_SCRIPT = r"""
import os, sys, time
from pathlib import Path
sys.path[:0] = [{tests!r}, {repo!r}]
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["WOODSHED_CACHE_DIR"] = str(Path({folder!r}) / "cache")
os.environ["WOODSHED_DATA_DIR"] = str(Path({folder!r}) / "data")
import stem_songs
from woodshed.player.ui.app import make_application
from woodshed.player.ui.main_window import MainWindow

def wait(app, seconds, until=lambda: False):
    end = time.monotonic() + seconds
    while time.monotonic() < end and not until():
        app.processEvents()
        time.sleep(0.01)

songs = [stem_songs.tone_song(3.0, key=f"song{{k}}") for k in range(3)]
app = make_application()
window = MainWindow(device={device!r})
window.show()
window.open_demo()
wait(app, 30, lambda: window.song_view is not None)
window.song_view.play()
wait(app, 0.5)
for song in songs:   # a burst of opens, as a double-click in the library made
    window.open_song(song)
wait(app, 20, lambda: window.song_view is not None and window.song_view.song.key == "song2"
     and not window.loading)
window.song_view.play()
wait(app, 0.5)
window.close()       # File > Quit
app.quit()
print("closed", flush=True)
"""


def test_quitting_after_quick_opens_ends_the_process(tmp_path, jack_server):
    """Reproduced after the double-click case: the process stayed in PortAudio's terminate."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    script = _QUIT_SCRIPT.format(tests=str(Path(__file__).parent), repo=str(repo),
                                 folder=str(tmp_path), device=jack_server.portaudio_device)
    child = subprocess.Popen([sys.executable, "-c", script], cwd=repo, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        out, err = child.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.communicate()
        raise AssertionError(f"the process did not end after quitting: {out!r} {err[-1500:]}")
    assert "closed" in out, err[-2000:]
    assert child.returncode == 0, err[-2000:]


def test_opening_a_song_another_woodshed_is_separating_follows_it_and_carries_on(
        qtbot, cache_dir, data_dir, model_repo, tmp_path):
    """The terminal separates a song; the window opens it meanwhile: it plays at once,
    follows the other's progress, and carries on when that one is killed; the stems equal
    one uninterrupted run."""
    import os
    import signal

    import songs
    from test_one_writer import follow
    from test_separation import reference_stems, sdr_db, stems_of
    from woodshed.player.ui.main_window import MainWindow
    from woodshed.player.ui.separating import FOLLOWING
    from woodshed.separation.separate import Progress, Separation, SeparationSettings

    audio = songs.music(16.0, seed=5)
    path = songs.write(tmp_path / "song.wav", audio)
    settings = SeparationSettings(model="test6s", model_repo=model_repo)
    terminal = Separation(path, settings)   # stands for `woodshed separate` in a terminal
    terminal.start()
    follow(terminal, lambda ev: sum(isinstance(e, Progress) for e in ev) >= 2)
    window = MainWindow(with_engine=False, separation_settings=settings)
    qtbot.addWidget(window)
    window.open_path(str(path))
    qtbot.waitUntil(lambda: window.song_view is not None, timeout=60000)
    qtbot.waitUntil(lambda: window.separation_bar.label.text().startswith(FOLLOWING),
                    timeout=30000)
    os.kill(terminal._process.pid, signal.SIGKILL)
    terminal._process.join()
    qtbot.waitUntil(lambda: window.separation_bar.label.text() == "Stems ready.", timeout=180000)
    song = window.song_view.song.reload()
    assert song.manifest.complete
    expected = reference_stems(model_repo, "test6s", audio)
    ours = stems_of(song)
    for name in expected:
        assert sdr_db(expected[name], ours[name]) >= 40, name
    window.close()
