"""A damaged song in the stem cache is found cheaply (sizes and headers), said in one line
when it is opened, listed or exported, and mended by `woodshed separate` redoing only the
damaged blocks."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import songs
import stem_songs
from test_separate_cli import assert_one_line_error, woodshed
from woodshed.separation import cache, damage
from woodshed.separation.manifest import Manifest


@pytest.fixture(scope="module")
def separated(tmp_path_factory, model_repo):
    """A song separated once (the tiny 6-stem model), kept as the reference."""
    root = tmp_path_factory.mktemp("separated")
    song_file = songs.write(root / "Song.wav", songs.music(20.0, seed=3))
    cache_dir = root / "cache"
    result = woodshed("separate", song_file, "--model", "test6s", "--model-repo", model_repo,
                      env={"WOODSHED_CACHE_DIR": str(cache_dir)})
    assert result.returncode == 0, result.stderr
    return song_file, Path(result.stdout.strip())


@pytest.fixture
def song(separated, cache_dir):
    """A fresh copy of the separated song in this test's cache."""
    song_file, original = separated
    shutil.copytree(original.parent, cache_dir)
    return song_file, cache.open_song(cache_dir / original.name), original


def _cut(path: Path, keep_fraction: float) -> None:
    os.truncate(path, int(path.stat().st_size * keep_fraction))


DAMAGE = {
    "cut short": (lambda d: _cut(d / "drums.wav", 0.6), "drums.wav is cut short"),
    "deleted": (lambda d: (d / "bass.wav").unlink(), "bass.wav is missing"),
    "empty": (lambda d: (d / "vocals.wav").write_bytes(b""), "vocals.wav is empty"),
    "mono": (lambda d: sf.write(d / "guitar.wav", np.zeros(1000, np.float32), 44100,
                                subtype="FLOAT"), "guitar.wav has 1 channels"),
    "16-bit": (lambda d: sf.write(d / "piano.wav", np.zeros((1000, 2)), 44100, subtype="PCM_16"),
               "not 32-bit float"),
    "mix gone": (lambda d: (d / "mix.wav").unlink(), "mix.wav is missing"),
}


SLOW_CASES = {"empty", "16-bit"}  # the same path as "deleted" and "mono": kept out of the quick run


@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.slow) if c in SLOW_CASES else c
                                  for c in DAMAGE])
def test_damage_is_said_in_one_line_and_separate_mends_it(song, case, model_repo, tmp_path):
    song_file, cached, original = song
    spoil, words = DAMAGE[case]
    spoil(cached.dir)
    # Exporting or playing the folder: one line, not silence with exit 0, not a traceback.
    result = woodshed("export", cached.dir, "-o", tmp_path / "backing.wav")
    assert_one_line_error(result, words, f"woodshed separate {song_file}")
    assert not (tmp_path / "backing.wav").exists()
    listing = woodshed("cache", "list")
    assert listing.returncode == 0 and "DAMAGED: " in listing.stdout and words in listing.stdout
    # Mending: separate the song file again.
    mended = woodshed("separate", song_file, "--model", "test6s", "--model-repo", model_repo)
    assert mended.returncode == 0, mended.stderr
    assert Path(mended.stdout.strip()) == cached.dir
    song_again = cache.open_song(cached.dir)
    assert song_again.manifest.complete and damage.check(song_again) == []
    for name in ["mix", *song_again.manifest.sources]:
        ours, _ = sf.read(cached.dir / f"{name}.wav", dtype="float32")
        reference, _ = sf.read(original / f"{name}.wav", dtype="float32")
        np.testing.assert_allclose(ours, reference, atol=1e-5, err_msg=name)
    assert woodshed("export", cached.dir, "-o", tmp_path / "backing.wav").returncode == 0


def test_mending_a_cut_stem_redoes_only_the_blocks_after_the_cut(song):
    _, cached, _ = song
    blocks = len(cached.manifest.blocks_done)
    assert blocks >= 3, "the song should span several blocks"
    _cut(cached.stem_path("drums"), 0.6)
    damages = damage.mend(cached)
    assert [d.file for d in damages] == ["drums.wav"]
    cut_frame = damages[0].good_frames
    reloaded = cache.open_song(cached.dir, check=False)
    for k, done in enumerate(reloaded.manifest.blocks_done):
        start, end = reloaded.manifest.block_range(k)
        assert done == (end <= cut_frame), (k, start, end, cut_frame)
    assert 0 < sum(reloaded.manifest.blocks_done) < blocks
    assert damage.check(reloaded) == []  # the right length again, to be filled in
    assert sf.info(str(reloaded.stem_path("drums"))).frames == reloaded.manifest.frames


def test_an_imported_song_with_a_lost_stem_says_to_import_it_again(cache_dir, tmp_path):
    """(Mending it that way: test_mend_import.py.)"""
    made = stem_songs.tone_song(2.0, key=stem_songs.key_for("imported"))
    manifest = made.manifest
    manifest.model = "import"
    manifest.save(made.dir)
    made.stem_path("bass").unlink()
    result = woodshed("export", made.dir, "-o", tmp_path / "x.wav")
    assert_one_line_error(result, "bass.wav is missing", "run `woodshed import")
    with pytest.raises(Exception, match="run `woodshed import"):
        damage.mend(cache.open_song(made.dir, check=False))
    assert woodshed("cache", "remove", made.dir).returncode == 0  # a damaged song can go


def test_a_song_with_samples_that_are_not_numbers_separates(tmp_path, cache_dir, model_repo):
    audio = songs.music(8.0, seed=5)
    audio[:, 1000:1100] = np.nan
    audio[0, 5000] = np.inf
    audio[1, 9000] = -np.inf
    song_file = songs.write(tmp_path / "broken plug-in.wav", audio)
    result = woodshed("separate", song_file, "--model", "test6s", "--model-repo", model_repo)
    assert result.returncode == 0, result.stderr
    separated = cache.open_song(Path(result.stdout.strip()))
    assert separated.manifest.complete
    for name in ["mix", *separated.manifest.sources]:
        assert np.isfinite(sf.read(separated.dir / f"{name}.wav", dtype="float32")[0]).all(), name


def test_a_song_left_failing_by_an_earlier_woodshed_is_separated_anew(song, model_repo):
    """Before NaN samples were made finite, the mix kept them and the manifest NaN statistics:
    every retry failed the same way. Now the song is found damaged and separated anew."""
    song_file, cached, original = song
    manifest = cached.manifest
    manifest.normalisation = {"mean": float("nan"), "std": float("nan")}
    manifest.blocks_done = [False] * len(manifest.blocks_done)
    manifest.save(cached.dir)
    listing = woodshed("cache", "list")
    assert "mix.wav holds samples that are not numbers" in listing.stdout
    mended = woodshed("separate", song_file, "--model", "test6s", "--model-repo", model_repo)
    assert mended.returncode == 0, mended.stderr
    again = cache.open_song(cached.dir)
    assert again.manifest.complete and np.isfinite(again.manifest.normalisation["std"])
    ours, _ = sf.read(cached.dir / "bass.wav", dtype="float32")
    reference, _ = sf.read(original / "bass.wav", dtype="float32")
    np.testing.assert_allclose(ours, reference, atol=1e-5)


def test_reopening_a_damaged_song_in_the_window_mends_it(qtbot, song, model_repo, tmp_path,
                                                        monkeypatch):
    from woodshed.player.ui.main_window import MainWindow
    from woodshed.separation.separate import SeparationSettings

    monkeypatch.setenv("WOODSHED_DATA_DIR", str(tmp_path / "data"))
    song_file, cached, original = song
    _cut(cached.stem_path("bass"), 0.5)
    window = MainWindow(with_engine=False, separation_settings=SeparationSettings(
        model="test6s", model_repo=model_repo))
    qtbot.addWidget(window)
    window.show()
    window.open_path(song_file)
    qtbot.waitUntil(lambda: window.song_view is not None, timeout=120000)
    qtbot.waitUntil(lambda: cache.open_song(cached.dir, check=False).manifest.complete,
                    timeout=180000)
    assert damage.check(cache.open_song(cached.dir)) == []
    ours, _ = sf.read(cached.stem_path("bass"), dtype="float32")
    reference, _ = sf.read(original / "bass.wav", dtype="float32")
    np.testing.assert_allclose(ours, reference, atol=1e-5)
    window.close()
