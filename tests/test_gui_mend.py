"""A song opened from the Library (its cache folder, not its song file) is treated as if its
song file were opened: a damaged one is mended from the file the manifest remembers, redoing
only what is damaged, and one separated part way offers Resume separation. When the file is
gone or has changed, one line says so and the cache keeps what it has."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PyQt6.QtCore import Qt

import songs
from test_gui_helpers import data_dir  # noqa: F401 (fixture)
from test_mend_import import choose_in_library
from test_separate_cli import woodshed
from woodshed.separation import cache, damage
from woodshed.separation.manifest import Manifest

MODEL = "test4s"


@pytest.fixture(scope="module")
def separated(tmp_path_factory, model_repo):
    """A song separated once by the terminal, kept as the reference: (song file, its folder)."""
    root = tmp_path_factory.mktemp("separated")
    song_file = songs.write(root / "Song.wav", songs.music(12.0, seed=4))
    result = woodshed("separate", song_file, "--model", MODEL, "--model-repo", model_repo,
                      env={"WOODSHED_CACHE_DIR": str(root / "cache")})
    assert result.returncode == 0, result.stderr
    return song_file, Path(result.stdout.strip())


@pytest.fixture
def song(separated, cache_dir):
    song_file, original = separated
    shutil.copytree(original.parent, cache_dir)
    song = cache.open_song(cache_dir / original.name)
    assert song.manifest.source_path == str(song_file)
    return song_file, song, original


def _window(qtbot, model_repo):
    from woodshed.player.ui.main_window import MainWindow
    from woodshed.separation.separate import SeparationSettings

    window = MainWindow(with_engine=False,
                        separation_settings=SeparationSettings(model=MODEL, model_repo=model_repo))
    qtbot.addWidget(window)
    window.show()
    return window


def _opened(qtbot, window):
    qtbot.waitUntil(lambda: window.song_view is not None or bool(window.banner.message),
                    timeout=120000)


def _equal_to_reference(song, original):
    assert song.reload().manifest.complete and damage.check(song) == []
    for name in ["mix", *song.manifest.sources]:
        ours, _ = sf.read(song.dir / f"{name}.wav", dtype="float32")
        reference, _ = sf.read(original / f"{name}.wav", dtype="float32")
        np.testing.assert_allclose(ours, reference, atol=1e-5, err_msg=name)


def test_a_damaged_song_opened_from_the_library_is_mended(song, qtbot, data_dir, model_repo):
    song_file, cached, original = song
    cached.stem_path("bass").unlink()
    window = _window(qtbot, model_repo)
    choose_in_library(qtbot, window, cached.key)
    _opened(qtbot, window)
    assert window.song_view is not None, window.banner.message
    qtbot.waitUntil(lambda: window.separation_bar.bar.value() == 1000, timeout=180000)
    _equal_to_reference(cached, original)
    window.close()


@pytest.mark.parametrize("how", ["gone", "changed", "not known"])
def test_a_damaged_song_without_its_file_is_one_line_and_kept(song, qtbot, data_dir, model_repo,
                                                              how, tmp_path):
    song_file, cached, original = song
    if how == "gone":
        song_file.rename(tmp_path / "moved.wav")
    elif how == "changed":
        shutil.copy(song_file, tmp_path / "kept.wav")
        songs.write(song_file, songs.music(12.0, seed=5))
    else:  # separated by an earlier Woodshed (manifest format 1)
        manifest = cached.manifest
        manifest.source_path = None
        manifest.save(cached.dir)
    _cut = cached.stem_path("drums")
    _cut.write_bytes(_cut.read_bytes()[:50000])
    kept = {p.name: p.read_bytes() for p in cached.dir.iterdir()}
    window = _window(qtbot, model_repo)
    try:
        choose_in_library(qtbot, window, cached.key)
        _opened(qtbot, window)
        line = window.banner.message
        assert window.song_view is None and "\n" not in line
        assert "drums.wav is cut short" in line
        assert {"gone": f"its song file {song_file} is gone (moved or deleted)",
                "changed": f"its song file {song_file} has changed since it was separated",
                "not known": "does not know where its song file Song.wav is"}[how] in line
        assert {p.name: p.read_bytes() for p in cached.dir.iterdir()} == kept
    finally:
        window.close()
        if how == "changed":
            shutil.copy(tmp_path / "kept.wav", song_file)
        elif how == "gone":
            (tmp_path / "moved.wav").rename(song_file)


def _separated_part_way(cached) -> None:
    """As a cancelled separation leaves it: the last blocks not done yet."""
    manifest = Manifest.load(cached.dir)
    assert len(manifest.blocks_done) >= 2
    manifest.blocks_done[-1] = False
    manifest.save(cached.dir)


def test_a_song_separated_part_way_offers_resume_from_the_library(song, qtbot, data_dir,
                                                                  model_repo):
    song_file, cached, original = song
    _separated_part_way(cached)
    window = _window(qtbot, model_repo)
    choose_in_library(qtbot, window, cached.key)
    _opened(qtbot, window)
    assert window.song_view is not None and window.banner.message == ""
    qtbot.waitUntil(lambda: window.separation_bar.resume.isVisible(), timeout=5000)
    assert "paused" in window.separation_bar.label.text()
    qtbot.mouseClick(window.separation_bar.resume, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.separation_bar.bar.value() == 1000, timeout=180000)
    _equal_to_reference(cached, original)
    window.close()


def test_a_song_separated_part_way_whose_file_is_gone_opens_with_one_line(song, qtbot, data_dir,
                                                                           model_repo, tmp_path):
    song_file, cached, original = song
    _separated_part_way(cached)
    song_file.rename(tmp_path / "moved.wav")
    try:
        window = _window(qtbot, model_repo)
        choose_in_library(qtbot, window, cached.key)
        _opened(qtbot, window)
        qtbot.waitUntil(lambda: bool(window.banner.message), timeout=5000)
        line = window.banner.message
        assert window.song_view is not None and "\n" not in line
        assert "is gone (moved or deleted)" in line and "separated to" in line
        assert not window.separation_bar.resume.isVisible()
        window.close()
    finally:
        (tmp_path / "moved.wav").rename(song_file)


def test_the_windows_export_never_writes_over_the_song_file(song, qtbot, data_dir, model_repo,
                                                            tmp_path):
    """The terminal's rule (export.check_safe_to_write) in the window: refused with one line,
    before any question (Replace? would be asked of any other existing file)."""
    from woodshed.player.ui.export_dialog import ExportDialog

    song_file, cached, original = song
    before = song_file.read_bytes()
    window = _window(qtbot, model_repo)
    window.open_path(song_file)
    _opened(qtbot, window)
    assert window.song_view is not None, window.banner.message
    dialog = ExportDialog(window.song_view, window.tasks, window)
    qtbot.addWidget(dialog)
    asked = []  # the Replace? question, were it asked (refused before it, as in the terminal)
    dialog.confirm_replace = lambda path: asked.append(path)
    (tmp_path / "link.wav").symlink_to(song_file)
    for path in (song_file, song_file.parent / ".." / song_file.parent.name / "Song.wav",
                 tmp_path / "link.wav"):
        dialog.path.setText(str(path))
        qtbot.mouseClick(dialog.export, Qt.MouseButton.LeftButton)
        assert not asked
        assert "it is the song you are exporting from" in dialog.status.text()
        assert dialog.export.isEnabled() and dialog.result_path is None
    assert song_file.read_bytes() == before
    window.close()


def test_a_moved_song_file_is_remembered_where_it_is_now(song, model_repo, tmp_path):
    song_file, cached, original = song
    moved = tmp_path / "Moved.wav"
    song_file.rename(moved)
    try:
        result = woodshed("separate", moved, "--model", MODEL, "--model-repo", model_repo)
        assert result.returncode == 0 and Path(result.stdout.strip()) == cached.dir, result.stderr
        assert cached.reload().manifest.source_path == str(moved)
    finally:
        moved.rename(song_file)


def test_separate_of_a_song_folder_in_the_cache_mends_it_from_its_song_file(song, model_repo):
    """`woodshed separate CACHE_FOLDER` (the folder `woodshed cache path` prints): the song is
    mended from its file; its WAVs are never taken for songs to separate."""
    song_file, cached, original = song
    cached.stem_path("drums").write_bytes(b"")
    result = woodshed("separate", cached.dir, "--model", MODEL, "--model-repo", model_repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(cached.dir)
    _equal_to_reference(cached, original)
    assert [p.name for p in cached.dir.parent.iterdir() if cache.KEY_PATTERN.fullmatch(p.name)] \
        == [cached.key]


def test_separate_of_a_damaged_song_folder_whose_file_is_gone_is_one_line(song, model_repo,
                                                                         tmp_path):
    from test_separate_cli import assert_one_line_error

    song_file, cached, original = song
    cached.stem_path("drums").write_bytes(b"")
    kept = {p.name: p.read_bytes() for p in cached.dir.iterdir()}
    song_file.rename(tmp_path / "moved.wav")
    try:
        result = woodshed("separate", cached.dir / "manifest.json", "--model", MODEL,
                          "--model-repo", model_repo)
    finally:
        (tmp_path / "moved.wav").rename(song_file)
    assert_one_line_error(result, "drums.wav is empty", f"its song file {song_file} is gone")
    assert {p.name: p.read_bytes() for p in cached.dir.iterdir()} == kept


def test_export_of_the_cache_folder_never_writes_over_its_song_file(song):
    from test_separate_cli import assert_one_line_error

    song_file, cached, original = song
    before = song_file.read_bytes()
    result = woodshed("export", cached.dir, "-o", song_file, "--force")
    assert_one_line_error(result, "it is the song you are exporting from")
    assert song_file.read_bytes() == before
