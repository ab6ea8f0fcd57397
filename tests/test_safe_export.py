"""Exports never lose a musician's files: not the song itself, not the stem cache, not an
earlier file unless told (--force, or Yes in the window), and a killed export leaves no
temporary file behind past the next run."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QMessageBox

import songs
import stem_songs
from test_cli_engine import woodshed, _assert_one_line_error
from test_gui_helpers import answer_next_message_box, data_dir, open_demo  # noqa: F401 (fixture)


@pytest.fixture
def song(cache_dir):
    return stem_songs.tone_song(seconds=2.0)


def _snapshot(folder):
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_export_onto_its_own_song_file_is_refused_even_with_force(tmp_path, cache_dir, capsys):
    song_file = tmp_path / "Song.wav"
    songs.write(song_file, songs.music(1.0))
    before = song_file.read_bytes()
    for extra in ([], ["--force"]):
        line = _assert_one_line_error(capsys, woodshed("export", str(song_file), "-o",
                                                       str(song_file), *extra))
        assert "the song you are exporting from" in line
    assert song_file.read_bytes() == before
    assert not cache_dir.exists() or not any(cache_dir.iterdir())  # refused before separating


def test_export_over_an_existing_file_needs_force(song, tmp_path, capsys):
    out = tmp_path / "backing.wav"
    out.write_bytes(b"last week's take")
    line = _assert_one_line_error(capsys, woodshed("export", str(song.dir), "-o", str(out)))
    assert "already exists" in line and "--force" in line
    assert out.read_bytes() == b"last week's take"
    assert woodshed("export", str(song.dir), "-o", str(out), "-f", "--without", "bass") == 0
    assert sf.info(out).frames == song.manifest.frames


@pytest.mark.parametrize("where", ["stem", "new file in the song folder", "cache root"])
def test_export_into_the_stem_cache_is_refused_even_with_force(song, cache_dir, capsys, where):
    out = {"stem": song.stem_path("bass"),
           "new file in the song folder": song.dir / "backing.wav",
           "cache root": cache_dir / "backing.wav"}[where]
    before = _snapshot(cache_dir)
    line = _assert_one_line_error(capsys, woodshed("export", str(song.dir), "-o", str(out), "-f",
                                                   "--without", "bass"))
    assert "inside the stem cache" in line
    assert _snapshot(cache_dir) == before


@pytest.mark.parametrize("where", ["the song folder", "a new folder in the cache"])
def test_stems_into_the_stem_cache_are_refused(song, cache_dir, capsys, where):
    out = song.dir if where == "the song folder" else cache_dir / "my stems"
    before = _snapshot(cache_dir)
    line = _assert_one_line_error(capsys, woodshed("export", str(song.dir), "--stems", str(out),
                                                   "--force"))
    assert "inside the stem cache" in line
    assert _snapshot(cache_dir) == before
    assert not (cache_dir / "my stems").exists()


def test_stems_over_existing_files_are_checked_before_anything_is_written(song, tmp_path, capsys):
    stems = tmp_path / "stems"
    stems.mkdir()
    (stems / "guitar.wav").write_bytes(b"mine")
    mix = tmp_path / "mix.wav"
    line = _assert_one_line_error(capsys, woodshed("export", str(song.dir), "-o", str(mix),
                                                   "--stems", str(stems)))
    assert "guitar.wav already exists" in line
    assert not mix.exists() and sorted(p.name for p in stems.iterdir()) == ["guitar.wav"]
    # Leaving that stem out needs no force: nothing would be replaced.
    assert woodshed("export", str(song.dir), "-o", str(mix), "--stems", str(stems),
                    "--without", "guitar") == 0
    assert (stems / "guitar.wav").read_bytes() == b"mine"
    assert {p.name for p in stems.iterdir()} == {"guitar.wav", "drums.wav", "bass.wav",
                                                  "vocals.wav"}


def test_export_into_the_stem_folder_it_imports_is_refused(cache_dir, tmp_path, capsys):
    folder = tmp_path / "Band"
    folder.mkdir()
    for name, freq in (("Drums", 100.0), ("Bass", 55.0)):
        sf.write(folder / f"{name}.wav", stem_songs.tone(freq, 44100).T, 44100)
    line = _assert_one_line_error(capsys, woodshed("export", str(folder), "-o",
                                                   str(folder / "backing.wav"), "-f"))
    assert "the song you are exporting from" in line
    assert sorted(p.name for p in folder.iterdir()) == ["Bass.wav", "Drums.wav"]


def test_a_killed_export_leaves_no_part_file_past_the_next_run(song, tmp_path, capsys):
    out = tmp_path / "backing.wav"
    # A real export, killed while it writes: a 60 s song at a quarter speed takes a while.
    long_song = stem_songs.tone_song(seconds=60.0, key="long")
    code = (f"import sys; from woodshed.player.cli.main import main; "
            f"sys.exit(main(['export', {str(long_song.dir)!r}, '-o', {str(out)!r}, "
            f"'--tempo', '0.25']))")
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.DEVNULL,
                            env={**os.environ})
    try:
        deadline = 60.0
        import time

        start = time.monotonic()
        while not list(tmp_path.glob(".backing.wav.*.part")) and time.monotonic() - start < deadline:
            time.sleep(0.05)
        assert list(tmp_path.glob(".backing.wav.*.part")), "the export never started writing"
        proc.kill()
    finally:
        proc.wait()
    left = list(tmp_path.glob(".backing.wav.*.part"))
    assert len(left) == 1 and not out.exists()
    # Another live process's temporary file is not ours to remove.
    live = tmp_path / f".backing.wav.{os.getppid()}.abcdefgh.part"
    live.write_bytes(b"")
    other = tmp_path / "other name.wav"  # the next export, whatever file it writes
    assert woodshed("export", str(song.dir), "-o", str(other)) == 0
    assert other.exists() and not out.exists()
    assert list(tmp_path.glob(".backing.wav.*.part")) == [live]


# --- the window ----------------------------------------------------------------------
def test_the_windows_export_asks_before_replacing_and_refuses_the_cache(qtbot, cache_dir,
                                                                         data_dir, tmp_path):
    from woodshed.player.ui.export_dialog import ExportDialog

    window = open_demo(qtbot, "no such sound card")
    view = window.song_view
    dialog = ExportDialog(view, window.tasks, window)
    qtbot.addWidget(dialog)
    out = tmp_path / "take.wav"
    out.write_bytes(b"my take")
    dialog.path.setText(str(out))
    asked = answer_next_message_box(QMessageBox.StandardButton.Cancel)
    qtbot.mouseClick(dialog.export, Qt.MouseButton.LeftButton)
    assert asked and "take.wav already exists" in asked[0]
    assert out.read_bytes() == b"my take" and dialog.result_path is None
    assert "kept" in dialog.status.text()

    answer_next_message_box(QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(dialog.export, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result_path is not None, timeout=60000)
    assert sf.info(out).frames > 44100

    stem = view.song.stem_path(view.stems[0])
    before = stem.read_bytes()
    dialog.path.setText(str(stem))
    dialog.result_path = None
    qtbot.mouseClick(dialog.export, Qt.MouseButton.LeftButton)
    assert "inside the stem cache" in dialog.status.text()
    assert stem.read_bytes() == before and dialog.export.isEnabled()
    window.close()
