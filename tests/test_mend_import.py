"""An imported song whose mix.wav or stems are damaged in the cache is mended by importing its
folder again (`woodshed import FOLDER`, as the one-line message says) and by opening it in the
window, also from the Library (its cache folder): the mix summed from the stems, a damaged stem
imported again from the stem folder the manifest remembers. Without that folder, one line
says so and the cache keeps what it has."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import soundfile as sf

from test_cli_engine import _assert_one_line_error, woodshed
from test_gui_helpers import data_dir  # noqa: F401 (fixture)
from test_import import tone, write
from woodshed.separation import cache, damage


@pytest.fixture
def imported(cache_dir, tmp_path, capsys):
    """A folder of two stems imported with `woodshed import`: (folder, song, its files' bytes)."""
    folder = tmp_path / "Blue Bossa"
    write(folder / "Bass.wav", tone(110, 44100, 3.0, channels=2), 44100)
    write(folder / "Guitar.wav", tone(330, 44100, 2.0, channels=2), 44100)
    assert woodshed("import", "--quiet", str(folder)) == 0
    song_dir = cache_dir / capsys.readouterr().out.strip().split("/")[-1]
    song = cache.open_song(song_dir)
    assert song.manifest.source_path == str(folder)
    return folder, song, {p.name: sf.read(p, dtype="float32")[0] for p in song_dir.glob("*.wav")}


def _same_audio(song, before):
    for name, audio in before.items():
        np.testing.assert_array_equal(sf.read(song.dir / name, dtype="float32")[0], audio,
                                      err_msg=name)


SPOIL = {
    "mix deleted": lambda d: (d / "mix.wav").unlink(),
    "mix cut short": lambda d: (d / "mix.wav").write_bytes((d / "mix.wav").read_bytes()[:5000]),
    "stem deleted": lambda d: (d / "bass.wav").unlink(),
    "stem cut short": lambda d: (d / "guitar.wav").write_bytes((d / "guitar.wav").read_bytes()[:9000]),
}


@pytest.mark.parametrize("case", list(SPOIL))
def test_import_again_mends_an_imported_song(imported, case, tmp_path, capsys):
    folder, song, before = imported
    SPOIL[case](song.dir)
    line = _assert_one_line_error(capsys, woodshed("export", str(song.dir), "-o",
                                                   str(tmp_path / "x.wav")))
    assert f"run `woodshed import '{folder}'` again" in line or \
        f"run `woodshed import {folder}` again" in line
    assert woodshed("import", "--quiet", str(folder)) == 0
    assert capsys.readouterr().out.strip() == str(song.dir)
    assert damage.check(song.reload()) == []
    _same_audio(song, before)
    assert not [p for p in song.dir.parent.iterdir() if p.name.startswith(".tmp-")]
    assert woodshed("export", str(song.dir), "-o", str(tmp_path / "x.wav")) == 0


def test_a_lost_mix_is_summed_from_the_stems_even_without_the_stem_folder(imported):
    from woodshed.separation.importer import mend_imported

    folder, song, before = imported
    shutil.rmtree(folder)
    (song.dir / "mix.wav").unlink()
    assert [d.file for d in mend_imported(song)] == ["mix.wav"]
    _same_audio(song, before)


@pytest.mark.parametrize("gone", ["moved", "other files"])
def test_a_lost_stem_without_its_folder_is_one_line_and_the_cache_is_kept(imported, gone, tmp_path,
                                                                         capsys):
    from woodshed.separation.importer import mend_imported
    from woodshed.separation.errors import UserError

    folder, song, before = imported
    if gone == "moved":
        folder.rename(tmp_path / "elsewhere")
    else:
        write(folder / "Bass.wav", tone(220, 44100, 3.0, channels=2), 44100)
    (song.dir / "bass.wav").unlink()
    kept = {p.name: p.read_bytes() for p in song.dir.iterdir()}
    with pytest.raises(UserError) as told:
        mend_imported(song)
    line = told.value.message
    assert "bass.wav is missing" in line and "\n" not in line
    assert ("is gone (moved or deleted)" if gone == "moved" else "holds other files now") in line
    assert {p.name: p.read_bytes() for p in song.dir.iterdir()} == kept


def test_the_window_mends_an_imported_song_opened_from_the_library(imported, qtbot, data_dir):
    from woodshed.player.ui.main_window import MainWindow

    folder, song, before = imported
    (song.dir / "mix.wav").unlink()
    (song.dir / "guitar.wav").write_bytes(b"")
    window = MainWindow(with_engine=False)
    qtbot.addWidget(window)
    window.show()
    choose_in_library(qtbot, window, song.key)
    qtbot.waitUntil(lambda: window.song_view is not None or bool(window.banner.message),
                    timeout=20000)
    assert window.song_view is not None, window.banner.message
    assert damage.check(song.reload()) == []
    _same_audio(song, before)
    window.close()


def choose_in_library(qtbot, window, key: str) -> None:
    """File ▸ Library, then a double-click on the song's row, as a hand does."""
    from PyQt6.QtCore import Qt
    from test_gui_trust import _library_dialog

    window.show_library()
    qtbot.waitUntil(lambda: _library_dialog(window) is not None, timeout=5000)
    table = _library_dialog(window).table
    row = next(r for r, s in enumerate(table.songs) if s.key == key)
    cell = table.visualItemRect(table.item(row, 0)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)


def test_the_windows_export_never_writes_into_the_stem_folder(imported, qtbot, data_dir):
    from PyQt6.QtCore import Qt

    from test_gui_helpers import open_quiet
    from woodshed.player.ui.export_dialog import ExportDialog

    folder, song, before = imported
    kept = {p: p.read_bytes() for p in folder.iterdir()}
    window = open_quiet(qtbot, song)
    dialog = ExportDialog(window.song_view, window.tasks, window)
    qtbot.addWidget(dialog)
    asked = []  # the Replace? question, were it asked (refused before it, as in the terminal)
    dialog.confirm_replace = lambda path: asked.append(path)
    for path in (folder / "Bass.wav", folder / "backing.wav"):
        dialog.path.setText(str(path))
        qtbot.mouseClick(dialog.export, Qt.MouseButton.LeftButton)
        assert not asked
        assert "it is the song you are exporting from" in dialog.status.text()
    assert {p: p.read_bytes() for p in folder.iterdir()} == kept
    window.close()


def test_separate_of_an_imported_song_folder_mends_it_and_separates_nothing(imported, capsys):
    folder, song, before = imported
    (song.dir / "mix.wav").unlink()
    assert woodshed("separate", str(song.dir)) == 0
    assert capsys.readouterr().out.strip() == str(song.dir)
    _same_audio(song, before)
    assert [p.name for p in song.dir.parent.iterdir() if cache.KEY_PATTERN.fullmatch(p.name)] \
        == [song.key]


def test_export_of_the_cache_folder_never_writes_into_its_stem_folder(imported, capsys):
    folder, song, before = imported
    kept = {p: p.read_bytes() for p in folder.iterdir()}
    for out in (folder / "Bass.wav", folder / "backing.wav"):
        line = _assert_one_line_error(capsys, woodshed("export", str(song.dir), "-o", str(out),
                                                       "--force"))
        assert "it is the song you are exporting from" in line
    assert {p: p.read_bytes() for p in folder.iterdir()} == kept


def test_a_song_folder_copied_out_of_the_cache_is_never_written(imported, qtbot, data_dir,
                                                                tmp_path, capsys):
    """Woodshed writes only in folders it made: a damaged copy elsewhere is said, not mended."""
    from woodshed.player.ui.main_window import MainWindow

    folder, song, before = imported
    copy = tmp_path / "backup" / "Blue Bossa stems"
    shutil.copytree(song.dir, copy)
    (copy / "mix.wav").unlink()
    kept = {p: p.read_bytes() for p in copy.parent.rglob("*") if p.is_file()}
    line = _assert_one_line_error(capsys, woodshed("separate", str(copy)))
    assert "outside the stem cache" in line
    window = MainWindow(with_engine=False)
    qtbot.addWidget(window)
    window.show()
    window.open_path(copy)
    qtbot.waitUntil(lambda: bool(window.banner.message), timeout=20000)
    assert "mix.wav is missing" in window.banner.message and window.song_view is None
    window.close()
    assert {p: p.read_bytes() for p in copy.parent.rglob("*") if p.is_file()} == kept
    assert sorted(p.name for p in copy.parent.iterdir()) == [copy.name]


def test_a_damaged_demo_is_made_whole_when_it_is_opened(qtbot, data_dir, cache_dir):
    """The demo's stems ship with Woodshed: a demo damaged in the cache is decoded afresh."""
    from woodshed.player.ui.demo_song import import_demo
    from woodshed.player.ui.main_window import MainWindow

    song = import_demo()
    before = {p.name: sf.read(p, dtype="float32")[0] for p in song.dir.glob("*.wav")}
    (song.dir / "bass.wav").unlink()
    (song.dir / "mix.wav").write_bytes((song.dir / "mix.wav").read_bytes()[:20000])
    window = MainWindow(with_engine=False)
    qtbot.addWidget(window)
    window.show()
    window.open_demo()
    qtbot.waitUntil(lambda: window.song_view is not None or bool(window.banner.message),
                    timeout=30000)
    assert window.song_view is not None, window.banner.message
    assert damage.check(song.reload()) == []
    _same_audio(song, before)
    assert not [p for p in cache_dir.iterdir() if p.name.startswith(".tmp-")]
    window.close()
