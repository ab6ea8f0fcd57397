"""One answer to "what is this SONG": song_source.identify, and the terminal and the window
each opening every kind the way it says."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from test_gui_helpers import data_dir  # noqa: F401 (fixture)
from woodshed.player.cli.main import main
from woodshed.player.song_source import SongKind, identify
from woodshed.separation import cache
from woodshed.separation.errors import UserError
from woodshed.separation.manifest import MANIFEST_NAME


def _stem_folder(folder: Path, title: str, freq_hz: float) -> Path:
    folder.mkdir(parents=True)
    t = np.arange(44100) / 44100
    sf.write(folder / "guitar.wav", (0.2 * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32), 44100)
    (folder / "song.ini").write_text(f"[song]\nname = {title}\n")
    return folder


@pytest.fixture
def kinds(tmp_path, cache_dir):
    """One path of every kind."""
    library = tmp_path / "library"
    _stem_folder(library / "One", "One", 330)
    _stem_folder(library / "Two", "Two", 440)
    stems = _stem_folder(tmp_path / "stems", "Stems", 550)
    song_file = tmp_path / "song.wav"
    sf.write(song_file, np.zeros((4410, 2), np.float32), 44100)
    from woodshed.separation.importer import import_folder
    cached = import_folder(_stem_folder(tmp_path / "to-cache", "Cached", 660)).dir
    return {"library": library, "stems": stems, "file": song_file, "cached": cached}


def test_identify_names_each_kind_of_song_path(kinds, tmp_path):
    assert identify(kinds["cached"]).kind is SongKind.CACHED
    manifest = identify(kinds["cached"] / MANIFEST_NAME)  # the manifest stands for its folder
    assert (manifest.kind, manifest.path) == (SongKind.CACHED, kinds["cached"])
    assert identify(kinds["stems"]).kind is SongKind.STEMS
    library = identify(kinds["library"])
    assert library.kind is SongKind.SONG_FOLDERS
    assert [p.name for p in library.folders] == ["One", "Two"]
    assert identify(kinds["file"]).kind is SongKind.FILE
    with pytest.raises(UserError, match="does not exist"):
        identify(tmp_path / "missing.mp3")


def test_the_terminal_plays_a_stem_folder_and_names_a_library_it_cannot_play_as_one_song(
        kinds, tmp_path, capsys):
    out = tmp_path / "stems.wav"
    assert main(["export", str(kinds["stems"]), "-o", str(out)]) == 0
    assert sf.info(out).frames == 44100
    capsys.readouterr()
    assert main(["export", str(kinds["library"]), "-o", str(tmp_path / "library.wav")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("woodshed: error: ") and "holds 2 song folders" in err and "\n" not in err
    assert not (tmp_path / "library.wav").exists()


def test_the_window_imports_each_song_of_a_dropped_library_and_opens_the_first(
        qtbot, data_dir, kinds):
    from woodshed.player.ui.main_window import MainWindow

    window = MainWindow(with_engine=False)
    qtbot.addWidget(window)
    window.show()
    window.open_path(kinds["library"])
    qtbot.waitUntil(lambda: window.song_view is not None or bool(window.banner.message), timeout=20000)
    assert window.song_view is not None, window.banner.message
    assert window.song_view.song.manifest.title == "One"
    titles = sorted(song.manifest.title for song in cache.list_songs())
    assert titles == ["Cached", "One", "Two"]
    from woodshed.separation.beats.analyse import known_grid

    # every imported song's beats are found (the one not opened too), each once
    two = [song.dir for song in cache.list_songs() if song.manifest.title == "Two"][0]
    qtbot.waitUntil(lambda: not known_grid(two)[1], timeout=60000)
    qtbot.waitUntil(lambda: not known_grid(window.song_view.song.dir)[1], timeout=60000)
    # A cached folder, given as its manifest, opens the same song the terminal would
    window.open_path(kinds["cached"] / MANIFEST_NAME)
    qtbot.waitUntil(lambda: window.song_view.song.manifest.title == "Cached", timeout=20000)
    window.close()
