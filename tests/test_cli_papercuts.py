"""The terminal's papercuts, each through the real command: help text as printed, tempo as a
percentage, export's progress kept out of logs, a cached song named by its title or id."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

import stem_songs
from test_cli_engine import _assert_one_line_error, woodshed

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def song(cache_dir):
    return stem_songs.tone_song(seconds=3.0)


def test_play_help_says_5_percent_and_export_help_says_o_is_required(capsys):
    assert woodshed("play", "--help") == 0
    text = capsys.readouterr().out
    assert "5 %," in text and "%%" not in text
    assert woodshed("export", "--help") == 0
    text = capsys.readouterr().out
    group = text[text.index("output (required"):]
    assert "-o OUT, --output OUT" in group and "--stems DIR" in group


def test_app_help_says_the_window_takes_its_model_from_the_preferences(capsys):
    """`woodshed app` without --model separates with Preferences' model (the separation
    default until one is chosen there), not always htdemucs_6s as its help used to say."""
    from woodshed.separation.model import DEFAULT_MODEL

    assert woodshed("app", "--help") == 0
    text = " ".join(capsys.readouterr().out.split())
    assert f"--model MODEL demucs model (default: the one set in Preferences ▸ Separation, " \
           f"{DEFAULT_MODEL} until changed there)" in text
    assert "--model-repo DIR folder of model weights, for offline use (default: the one set " \
           "in Preferences ▸ Separation" in text
    assert woodshed("separate", "--help") == 0  # the terminal's own commands: the default
    assert f"demucs model (default: {DEFAULT_MODEL})" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("given, ratio", [("70%", 0.7), ("70 %", 0.7), ("0.7", 0.7), ("150%", 1.5)])
def test_tempo_as_a_ratio_or_a_percentage(song, tmp_path, given, ratio, capsys):
    out = tmp_path / f"t{ratio}.wav"
    assert woodshed("export", str(song.dir), "-o", str(out), "--tempo", given) == 0
    assert sf.info(out).duration == pytest.approx(3.0 / ratio, rel=0.02)


def test_a_bare_70_says_what_it_probably_meant(song, tmp_path, capsys):
    rc = woodshed("export", str(song.dir), "-o", str(tmp_path / "x.wav"), "--tempo", "70")
    line = _assert_one_line_error(capsys, rc)
    assert "0.7 (or 70%)" in line
    rc = woodshed("export", str(song.dir), "-o", str(tmp_path / "x.wav"), "--tempo", "7")
    assert "like 0.7 (or 70%)" in _assert_one_line_error(capsys, rc)


def test_export_writes_no_progress_bar_frames_into_a_log(song, tmp_path):
    out = tmp_path / "backing.wav"
    result = subprocess.run([sys.executable, "-m", "woodshed.player", "export", str(song.dir),
                             "-o", str(out), "--tempo", "0.5"], cwd=REPO, env=dict(os.environ),
                            capture_output=True, text=True, timeout=120)  # pipes: not a terminal
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    assert "\r" not in result.stderr and "%|" not in result.stderr, result.stderr


def named_song(name: str, title: str, seconds: float = 3.0):
    """A cached song with a key shaped as Woodshed makes them and the given title."""
    from woodshed.separation import cache

    frames = int(seconds * stem_songs.RATE)
    stems = {"bass": stem_songs.tone(110, frames), "guitar": stem_songs.tone(330, frames)}
    return cache.write_song(stem_songs.key_for(name), stems, stem_songs.RATE, title=title,
                            original_name=f"{name}.wav", source_hash=name, model="test")


def test_a_cached_song_is_named_by_its_title_or_the_id_cache_list_shows(cache_dir, tmp_path, capsys):
    song = named_song("take 1", "Blue Bossa")
    assert woodshed("cache", "list") == 0
    assert song.key in capsys.readouterr().out
    for i, name in enumerate(("Blue Bossa", "blue bossa", song.key, song.key[:8])):
        out = tmp_path / f"named-{i}.wav"
        assert woodshed("export", name, "-o", str(out)) == 0, capsys.readouterr().err
        assert out.is_file()
    # Two songs of one title: the message lists both ids, and an id names one.
    other = named_song("take 2", "Blue Bossa", 2.0)
    rc = woodshed("export", "Blue Bossa", "-o", str(tmp_path / "which.wav"))
    line = _assert_one_line_error(capsys, rc)
    assert song.key in line and other.key in line
    assert woodshed("export", other.key[:10], "-o", str(tmp_path / "other.wav")) == 0
    assert sf.info(tmp_path / "other.wav").duration == pytest.approx(2.0, rel=0.01)
    rc = woodshed("export", "no song of this name", "-o", str(tmp_path / "none.wav"))
    assert "does not exist" in _assert_one_line_error(capsys, rc)


def test_play_with_a_loop_starts_at_the_loop(song, monkeypatch):
    """`woodshed play --loop 1.5-2.5` plays from 1.5 s (it started at 0:00, before the loop)."""
    from woodshed.player.cli.main import main
    from woodshed.player.engine.engine import Engine

    seen = {}

    def first_seek(engine, position_s):  # what play hands the engine, without a device
        seen.update(loop=engine.controls.loop, position_s=position_s)
        raise SystemExit(0)

    monkeypatch.setattr(Engine, "start", lambda engine: None)
    monkeypatch.setattr(Engine, "seek", first_seek)
    with pytest.raises(SystemExit):
        main(["play", str(song.dir), "--loop", "0:01.5-0:02.5"])
    assert seen["loop"] == pytest.approx((1.5, 2.5, True))
    assert seen["position_s"] == pytest.approx(1.5, abs=0.01)
