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
