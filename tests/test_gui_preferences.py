"""File ▸ Preferences (Ctrl+,): output device and buffer size, separation model, model folder
and compute device, stem cache folder and size limit; applied at once and remembered, so the
window works offline without --model-repo."""
from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QDialogButtonBox, QWidget

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
    """The page, brought forward (as a click on its tab does)."""
    index = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())].index(title)
    dialog.tabs.setCurrentIndex(index)
    return dialog.pages[index]


def press_ok(qtbot, dialog) -> None:
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)


def test_separation_preferences_apply_and_are_remembered(qtbot, cache_dir, data_dir, model_repo):
    window = quiet_window(qtbot)
    dialog = open_preferences(qtbot, window)
    separation = page(dialog, "Separation")
    separation.model.setCurrentText("test4s")
    separation.folder.setText(str(model_repo))
    separation.compute.setCurrentText("cpu")
    separation.shifts.setValue(2)
    separation.overlap.setValue(0.5)
    press_ok(qtbot, dialog)
    assert not dialog.isVisible(), dialog.status.text()
    s = window.separation_settings
    assert (s.model, s.model_repo, s.device, s.shifts, s.overlap) == ("test4s", model_repo, "cpu", 2, 0.5)
    window.close()

    again = quiet_window(qtbot)  # a restart: no --model-repo, the folder is remembered
    s = again.separation_settings
    assert (s.model, s.model_repo, s.device, s.shifts, s.overlap) == ("test4s", model_repo, "cpu", 2, 0.5)
    again.close()


def test_file_menu_model_folder_is_the_preferences_row(qtbot, cache_dir, data_dir, model_repo,
                                                       monkeypatch):
    """File ▸ Use a folder of model weights… opens Preferences ▸ Separation at its row: one
    way to choose it, remembered for the next start (offline without --model-repo)."""
    from woodshed.player.ui import preferences

    monkeypatch.setattr(preferences.QFileDialog, "getExistingDirectory", lambda *a: str(model_repo))
    window = quiet_window(qtbot)
    window.qactions["file.model_folder"].trigger()
    dialog = next(d for d in window.findChildren(preferences.PreferencesDialog) if d.isVisible())
    separation = dialog.tabs.currentWidget()
    assert separation is page(dialog, "Separation")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is separation.folder, timeout=3000)
    qtbot.mouseClick(separation.choose_folder, Qt.MouseButton.LeftButton)
    assert separation.folder.text() == str(model_repo)
    press_ok(qtbot, dialog)
    assert window.separation_settings.model_repo == model_repo
    window.close()
    again = quiet_window(qtbot)
    assert again.separation_settings.model_repo == model_repo
    again.close()


def test_a_model_folder_without_weights_is_refused(qtbot, cache_dir, data_dir, tmp_path):
    window = quiet_window(qtbot)
    before = window.separation_settings
    dialog = open_preferences(qtbot, window)
    empty = tmp_path / "empty"
    empty.mkdir()
    page(dialog, "Separation").folder.setText(str(empty))
    press_ok(qtbot, dialog)
    assert dialog.isVisible() and "no demucs weights" in dialog.status.text()
    assert window.separation_settings is before
    dialog.close()
    window.close()


def test_the_command_line_wins_only_for_what_it_names(qtbot, cache_dir, data_dir, model_repo):
    """`woodshed app` without --model-repo separates with the Preferences' folder; a --model
    typed wins over the Preferences' model, the folder still comes from them."""
    from woodshed.player.cli.app_command import separation_options
    from woodshed.player.cli.main import build_parser
    from woodshed.player.ui.main_window import MainWindow

    window = quiet_window(qtbot)
    dialog = open_preferences(qtbot, window)
    separation = page(dialog, "Separation")
    separation.model.setCurrentText("test4s")
    separation.folder.setText(str(model_repo))
    press_ok(qtbot, dialog)
    window.close()
    for argv, model in ((["app"], "test4s"), (["app", "--model", "test6s"], "test6s")):
        options = separation_options(build_parser().parse_args(argv))
        started = MainWindow(with_engine=False, command_line=options)
        qtbot.addWidget(started)
        assert (started.separation_settings.model, started.separation_settings.model_repo) == (model, model_repo)
        started.close()


def test_every_command_line_setting_has_its_row(qtbot, cache_dir, data_dir):
    """What `separate`, `app` and `play` take beyond the song and its practice (loop, mute,
    tempo…) is a setting: each has a row in the dialog."""
    from woodshed.player.cli.main import build_parser
    from woodshed.player.ui.preferences import COMMAND_LINE_ROWS

    per_song = {"-h", "--help", "--mute", "--solo", "--loop", "--start", "--loop-bars", "--click",
                "--count-in", "--count-in-every-pass", "--trainer", "--midi", "--gain", "--tempo",
                "--pitch"}  # the practice of one run: the song's own session in the window
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for command in ("separate", "app", "play"):
        options = {o for a in commands[command]._actions for o in a.option_strings} - per_song
        for option in options:
            named = [row for what, row in COMMAND_LINE_ROWS.items() if what.split()[0] == option]
            assert named, f"{command} {option} has no Preferences row"
    window = quiet_window(qtbot)
    dialog = open_preferences(qtbot, window)
    for row in COMMAND_LINE_ROWS.values():
        assert dialog.findChild(QWidget, row) is not None, row
    dialog.close()
    window.close()


def test_cache_folder_and_limit_apply_and_are_remembered(qtbot, data_dir, tmp_path, monkeypatch):
    from woodshed.separation import cache

    monkeypatch.delenv("WOODSHED_CACHE_DIR", raising=False)
    monkeypatch.delenv("WOODSHED_CACHE_LIMIT", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # the default, were it used
    window = quiet_window(qtbot)
    dialog = open_preferences(qtbot, window)
    stems = page(dialog, "Stem cache")
    assert stems.folder.isEnabled() and not stems.folder_note.isVisible()
    new_cache = tmp_path / "my stems"
    stems.folder.setText(str(new_cache))
    stems.limit.setValue(3.0)
    press_ok(qtbot, dialog)
    assert not dialog.isVisible(), dialog.status.text()
    assert cache.cache_root() == new_cache and cache.size_limit_bytes() == 3_000_000_000
    window.close()
    again = quiet_window(qtbot)
    assert cache.cache_root() == new_cache
    dialog = open_preferences(qtbot, again)
    assert page(dialog, "Stem cache").folder.text() == str(new_cache)
    dialog.close()
    again.close()


def test_a_cache_folder_set_by_the_environment_is_shown_and_not_changed(qtbot, cache_dir, data_dir,
                                                                      tmp_path, monkeypatch):
    """WOODSHED_CACHE_DIR wins over Preferences: the row shows it, cannot be edited and says
    why (so does WOODSHED_CACHE_LIMIT for the limit)."""
    from woodshed.player.ui import preferences
    from woodshed.player.ui.main_window import settings
    from woodshed.separation import cache

    settings().setValue(preferences.CACHE_FOLDER_KEY, str(tmp_path / "chosen before"))
    monkeypatch.setenv("WOODSHED_CACHE_LIMIT", "5GB")
    window = quiet_window(qtbot)
    assert cache.cache_root() == cache_dir
    dialog = open_preferences(qtbot, window)
    stems = page(dialog, "Stem cache")
    assert stems.folder.text() == str(cache_dir)
    assert not stems.folder.isEnabled() and not stems.choose_folder.isEnabled()
    assert stems.folder_note.isVisible() and "WOODSHED_CACHE_DIR" in stems.folder_note.text()
    assert not stems.limit.isEnabled() and "WOODSHED_CACHE_LIMIT" in stems.limit_note.text()
    press_ok(qtbot, dialog)
    assert not dialog.isVisible(), dialog.status.text()
    assert cache.cache_root() == cache_dir
    window.close()


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
    """Applied live: the output reopens at once with the new block, keeping the mix and
    place; remembered (with window.ini's format) for the next start."""
    from woodshed.player.ui import preferences
    from woodshed.player.ui.main_window import settings

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
    again = quiet_window(qtbot)  # a restart opens songs with it; the file says its format
    assert again.buffer_frames == 1024
    assert int(settings().value(preferences.FORMAT_KEY)) == preferences.SETTINGS_FORMAT
    again.close()


def test_settings_of_a_newer_woodshed_are_said_and_read(qtbot, cache_dir, data_dir):
    from woodshed.player.ui import preferences
    from woodshed.player.ui.main_window import settings

    store = settings()
    store.setValue(preferences.FORMAT_KEY, preferences.SETTINGS_FORMAT + 1)
    store.setValue(preferences.BUFFER_KEY, 512)
    store.sync()
    window = quiet_window(qtbot)
    assert "newer Woodshed" in window.banner.message
    assert window.buffer_frames == 512
    assert int(settings().value(preferences.FORMAT_KEY)) == preferences.SETTINGS_FORMAT + 1
    window.close()


def test_a_lower_cache_limit_names_the_songs_it_would_remove_and_asks(qtbot, cache_dir, data_dir):
    """As `woodshed cache limit` asks on the terminal: nothing goes before the musician agrees,
    and then the songs used longest ago go, the others stay."""
    import os
    import time

    import stem_songs
    from PyQt6.QtWidgets import QMessageBox
    from test_gui_helpers import answer_next_message_box
    from woodshed.separation import cache

    songs = [stem_songs.tone_song(seconds=8.0, key=stem_songs.key_for(name)) for name in
             ("oldest", "older", "newest")]
    for minutes_ago, song in zip((30, 20, 10), songs):   # last used: "oldest" longest ago
        used_s = time.time() - 60 * minutes_ago
        os.utime(song.dir / cache.MANIFEST_NAME, (used_s, used_s))
    size_mb = songs[0].size_bytes() / 1e6
    limit_gb = round(1.5 * size_mb / 1000, 2)  # room for one song only
    before = cache.size_limit_bytes()
    window = quiet_window(qtbot)
    dialog = open_preferences(qtbot, window)
    stems = page(dialog, "Stem cache")

    stems.limit.setValue(limit_gb)
    asked = answer_next_message_box(QMessageBox.StandardButton.Cancel)
    press_ok(qtbot, dialog)
    assert "would remove 2 songs" in asked[0], asked
    assert asked[1].splitlines() == [s.manifest.title for s in songs[:2]]  # longest unused first
    assert dialog.isVisible() and "unchanged" in dialog.status.text()
    assert cache.size_limit_bytes() == before
    assert all(song.dir.is_dir() for song in songs)

    stems.limit.setValue(limit_gb)
    answer_next_message_box(QMessageBox.StandardButton.Yes)
    press_ok(qtbot, dialog)
    assert not dialog.isVisible(), dialog.status.text()
    assert cache.size_limit_bytes() == int(round(limit_gb * 1e9))
    assert [song.dir.is_dir() for song in songs] == [False, False, True]
    window.close()
