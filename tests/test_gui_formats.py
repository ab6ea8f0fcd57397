"""The window's own files of any shape: window.ini written by hand, by an earlier or a newer
Woodshed, never stops the window from opening (no traceback): what fits is used, the rest
left out. (The format stamp and a newer format's one line: test_gui_preferences.py.)"""
from __future__ import annotations

import pytest

from test_gui_helpers import data_dir  # noqa: F401 (fixture)

pytest.importorskip("pytestqt")

HAND_EDITED = {
    "geometry as text": '[General]\ngeometry=hello\n',
    "recent titles a list": '[General]\nrecent=a.wav\nrecent_titles=[1, 2]\n',
    "recent titles of numbers":
        '[General]\nrecent=a.wav\nrecent_titles="{\\"a.wav\\": {\\"label\\": 5, \\"key\\": 3}}"\n',
    "details a list": '[General]\nrecent=a.wav, b.wav\nrecent_titles="{\\"a.wav\\": {\\"label\\": '
                      '\\"x\\", \\"details\\": [1]}, \\"b.wav\\": {\\"label\\": \\"x\\", '
                      '\\"details\\": [1]}}"\n',
    "format not a number": "[General]\nformat=abc\n",
    "binary": "\udcff\udcfe\x00[[[\n=",
}


@pytest.mark.parametrize("case", list(HAND_EDITED))
def test_a_hand_edited_window_ini_opens_the_window(qtbot, data_dir, cache_dir, case):
    from woodshed.player.ui.main_window import MainWindow

    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "window.ini").write_bytes(HAND_EDITED[case].encode("utf-8", "surrogateescape"))
    window = MainWindow(with_engine=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    labels = [a.text() for a in window.recent_menu.actions()]
    assert all(isinstance(label, str) and label for label in labels)
    window.close()


@pytest.mark.parametrize("name", ["2026-11-26-start", "2026-11-26-end"])
def test_the_window_settings_of_a_kept_folder_open_as_they_were(qtbot, tmp_path, monkeypatch,
                                                                name):
    """window.ini as a musician's Woodshed of that day left it (tests/fixtures, written by
    write_fixture.py): recent songs, a preference, a changed key; stamped with today's format."""
    import shutil
    from pathlib import Path

    from woodshed.player.ui import actions, preferences
    from woodshed.player.ui.main_window import MainWindow, settings

    shutil.copytree(Path(__file__).parent / "fixtures" / name, tmp_path / "kept")
    monkeypatch.setenv("WOODSHED_CACHE_DIR", str(tmp_path / "kept" / "cache"))
    monkeypatch.setenv("WOODSHED_DATA_DIR", str(tmp_path / "kept" / "data"))
    window = MainWindow(with_engine=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        assert window.recent() == ["/music/Blue Bossa"]
        assert [a.text() for a in window.recent_menu.actions()] == ["Blue Bossa"]
        assert preferences.saved_buffer(settings()) == 512
        assert actions.get("loop.zoom").keys == ("Ctrl+Alt+Z",)
        assert window.banner.message == ""
        assert int(settings().value(preferences.FORMAT_KEY)) == preferences.SETTINGS_FORMAT
    finally:
        window.close()
        from woodshed.player.ui import keymap
        keymap.restore_defaults()  # the registry is the process's
