"""`woodshed separate` and `woodshed cache` from the command line, good input and bad.

Every bad input ends the same way: one line on stderr, exit status 2, nothing left in the cache.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import songs

ROOT = Path(__file__).resolve().parent.parent


def woodshed(*args, env=None, timeout=300):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "woodshed.player", *map(str, args)], cwd=ROOT,
                          env=full_env, capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(result, *words):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("woodshed: error: ")
    assert "Traceback" not in result.stderr
    for word in words:
        assert word.lower() in lines[0].lower(), lines[0]


def cache_is_empty(cache_dir: Path) -> bool:
    """No song and no leftover in it (the songs' lock files are kept: see song_lock.py)."""
    from woodshed.separation.song_lock import LOCK_FOLDER

    return not cache_dir.exists() or not [p for p in cache_dir.iterdir()
                                          if p.is_dir() and p.name != LOCK_FOLDER]


@pytest.fixture
def model_args(model_repo):
    return ["--model", "test6s", "--model-repo", model_repo]


# --- bad input -------------------------------------------------------------
def _zero_byte(tmp):
    p = tmp / "empty.mp3"
    p.write_bytes(b"")
    return p, ["empty"]


def _random_bytes(tmp):
    p = tmp / "noise.mp3"
    p.write_bytes(np.random.default_rng(1).bytes(50_000))
    return p, ["audio"]


def _truncated(fmt, ext):
    def make(tmp):
        whole = songs.write(tmp / f"whole.{ext}", songs.music(20.0), subtype=None, format=fmt)
        p = tmp / f"cut.{ext}"
        data = whole.read_bytes()
        p.write_bytes(data[: len(data) // 3])
        return p, ["truncated"]
    return make


def _too_short(tmp):
    return songs.write(tmp / "blip.wav", songs.music(0.05)), ["short"]


def _empty_folder(tmp):
    d = tmp / "no audio here"
    d.mkdir()
    (d / "notes.txt").write_text("not a song")
    return d, ["no audio"]


def _missing(tmp):
    return tmp / "nowhere.mp3", ["not exist"]


BAD_FILES = {"zero-byte": _zero_byte, "random bytes named .mp3": _random_bytes,
             "truncated mp3": _truncated("MP3", "mp3"), "truncated flac": _truncated("FLAC", "flac"),
             "shorter than 0.1 s": _too_short, "folder with no audio": _empty_folder,
             "missing path": _missing}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_song_file(case, tmp_path, cache_dir, model_args):
    path, words = BAD_FILES[case](tmp_path)
    result = woodshed("separate", path, *model_args)
    assert_one_line_error(result, *words)
    assert cache_is_empty(cache_dir)


def test_unknown_model_name(tmp_path, cache_dir, model_repo):
    song = songs.write(tmp_path / "song.wav", songs.music(1.5))
    result = woodshed("separate", song, "--model", "no_such_model", "--model-repo", model_repo)
    assert_one_line_error(result, "unknown model", "no_such_model")
    assert cache_is_empty(cache_dir)


def test_missing_model_folder(tmp_path, cache_dir):
    song = songs.write(tmp_path / "song.wav", songs.music(1.5))
    result = woodshed("separate", song, "--model", "test6s", "--model-repo", tmp_path / "nope")
    assert_one_line_error(result, "does not exist")
    assert cache_is_empty(cache_dir)


def test_weights_that_cannot_be_had_say_so_and_how_to_work_offline(tmp_path, cache_dir):
    # This machine has no access to the model hub, as a musician offline would not.
    song = songs.write(tmp_path / "song.wav", songs.music(1.5))
    result = woodshed("separate", song, "--model", "htdemucs_6s",
                      env={"HF_HUB_OFFLINE": "1", "WOODSHED_MODEL_REPO": "",
                           "TORCH_HOME": str(tmp_path / "torch-home")})
    assert_one_line_error(result, "cannot download", "--model-repo")
    assert cache_is_empty(cache_dir)


@contextlib.contextmanager
def tmpfs(where: Path, *options):
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(where)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here to stand for a small or read-only disk: "
                    f"{mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)])


def test_read_only_cache_folder(tmp_path, model_args):
    song = songs.write(tmp_path / "song.wav", songs.music(1.5))
    with tmpfs(tmp_path / "ro", "ro", "size=1m") as ro:
        result = woodshed("separate", song, *model_args, env={"WOODSHED_CACHE_DIR": str(ro / "c")})
        assert_one_line_error(result, "cache", "read-only")


def test_full_cache_folder(tmp_path, model_args):
    # 30 s of stereo float is 10 MB of mix alone: it cannot fit in 2 MB.
    song = songs.write(tmp_path / "song.wav", songs.music(30.0))
    with tmpfs(tmp_path / "small", "size=2m") as small:
        result = woodshed("separate", song, *model_args, env={"WOODSHED_CACHE_DIR": str(small)})
        assert_one_line_error(result, "full")
        leftovers = [p for p in small.rglob("*") if p.is_file() and p.name != "settings.json"
                     and p.parent.name != ".locks"]
        assert leftovers == []


# --- odd but valid input -------------------------------------------------
ODD_FILES = {
    "mono": (lambda: songs.music(1.5, channels=1), 44100, "PCM_16"),
    "8 kHz": (lambda: songs.music(1.5, sample_rate=8000), 8000, "PCM_16"),
    "96 kHz": (lambda: songs.music(1.5, sample_rate=96000), 96000, "PCM_24"),
    "6 channels": (lambda: songs.music(1.5, channels=6), 44100, "PCM_16"),
    "24-bit": (lambda: songs.music(1.5), 44100, "PCM_24"),
    "32-bit float": (lambda: songs.music(1.5), 44100, "FLOAT"),
}


def test_odd_but_valid_songs_separate(tmp_path, cache_dir, model_args):
    folder = tmp_path / "Ålbum – ünïcode ♪ with spaces"
    expected = {}
    for name, (make, rate, subtype) in ODD_FILES.items():
        path = songs.write(folder / f"{name} ♫.wav", make(), rate, subtype)
        expected[path.name] = int(round(sf.info(str(path)).duration * 44100))
    result = woodshed("separate", folder, *model_args, timeout=600)
    assert result.returncode == 0, result.stderr
    dirs = [Path(line) for line in result.stdout.split("\n") if line.strip()]
    assert len(dirs) == len(ODD_FILES)
    from woodshed.separation.manifest import Manifest

    for d in dirs:
        m = Manifest.load(d)
        assert m.complete and m.channels == 2 and m.sample_rate == 44100
        assert abs(m.frames - expected[m.original_name]) <= 2, m.original_name
        drums = sf.read(str(d / "drums.wav"))[0]
        assert drums.shape == (m.frames, 2) and np.isfinite(drums).all()


# --- the cache commands ------------------------------------------------------
def test_cache_list_path_remove_clear(tmp_path, cache_dir, model_args):
    a = songs.write(tmp_path / "a.wav", songs.music(1.5, seed=1))
    b = songs.write(tmp_path / "b.wav", songs.music(1.5, seed=2))
    out = woodshed("separate", a, b, *model_args)
    assert out.returncode == 0, out.stderr
    dir_a, dir_b = (Path(line) for line in out.stdout.split())
    listing = woodshed("cache", "list")
    assert listing.returncode == 0 and "2 songs" in listing.stdout
    assert dir_a.name in listing.stdout and "test6s" in listing.stdout
    path = woodshed("cache", "path", a, "--model", "test6s")
    assert path.stdout.strip() == str(dir_a)
    assert_one_line_error(woodshed("cache", "path", a, "--model", "htdemucs"), "not in the cache")
    assert woodshed("cache", "remove", a).returncode == 0
    assert not dir_a.exists() and dir_b.exists()
    assert_one_line_error(woodshed("cache", "remove", a), "not in the cache")
    assert woodshed("cache", "clear").returncode == 0
    assert not dir_b.exists()


def test_least_recently_used_songs_go_when_over_the_limit(tmp_path, cache_dir, model_args):
    from woodshed.separation import cache

    paths = [songs.write(tmp_path / f"{i}.wav", songs.music(1.5, seed=i)) for i in range(3)]
    dirs = []
    for p in paths:
        out = woodshed("separate", p, *model_args)
        dirs.append(Path(out.stdout.strip()))
    os.utime(dirs[0] / "manifest.json")  # the first song was just played again
    one_song = sum(f.stat().st_size for f in dirs[1].iterdir())
    result = woodshed("cache", "limit", f"{int(one_song * 2.5)}B", "--yes")
    assert result.returncode == 0, result.stderr
    # The least recently used (the second song) went; the one just used stayed.
    assert dirs[0].exists() and not dirs[1].exists() and dirs[2].exists()
    assert cache.size_limit_bytes(cache_dir) == int(one_song * 2.5)
    assert_one_line_error(woodshed("cache", "limit", "lots"), "not a size")
