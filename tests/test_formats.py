"""Formats that last: a cache and data folder written by an earlier Woodshed open with this one,
and files of every odd shape give one line or are skipped, never a traceback."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

from test_cli_engine import woodshed, _assert_one_line_error
from woodshed.separation import cache
from woodshed.separation.manifest import Manifest

FIXTURE = Path(__file__).parent / "fixtures" / "format-1"  # written by Woodshed, manifest format 1


@pytest.fixture
def old_folders(tmp_path, monkeypatch):
    shutil.copytree(FIXTURE, tmp_path / "old")
    monkeypatch.setenv("WOODSHED_CACHE_DIR", str(tmp_path / "old" / "cache"))
    monkeypatch.setenv("WOODSHED_DATA_DIR", str(tmp_path / "old" / "data"))
    monkeypatch.delenv("WOODSHED_CACHE_LIMIT", raising=False)
    songs = cache.list_songs()
    assert len(songs) == 1
    return songs[0]


def test_a_folder_written_by_format_1_opens_lists_and_exports(old_folders, tmp_path, capsys):
    from woodshed.player.ui.session import load_session

    song = old_folders
    assert song.manifest.sources == ["bass", "guitar"] and song.manifest.complete
    assert cache.size_limit_bytes() == 5 * 10**9  # its settings, written before they had a format
    session = load_session(song.key)
    assert session.tempo == 0.8 and session.muted == ["guitar"] and session.loops[0].name == "Riff"
    # written before the speed trainer and loops in bars: their defaults
    assert session.trainer == {"start": 0.6, "step": 0.05, "every": 2, "target": 1.0}
    assert not session.trainer_on and session.loops[0].bars is None
    assert woodshed("cache", "list") == 0
    assert "1 songs" in capsys.readouterr().out
    out = tmp_path / "backing.wav"
    assert woodshed("export", str(song.dir), "-o", str(out), "--without", "guitar") == 0
    assert sf.info(out).frames == song.manifest.frames


BAD_MANIFESTS = {
    "not JSON": "{nope",
    "a list": "[]",
    "null": "null",
    "a number": "7",
    "no format": json.dumps({"title": "x"}),
    "a newer format": None,  # filled from the real one
    "an unknown field": None,
    "negative length": None,
    "zero sample rate": None,
    "a stem named ../x": None,
    "blocks_done not bits": None,
    "binary": b"\xff\xfe\x00garbage",
}


def _spoil(real: dict, case: str):
    data = dict(real)
    if case == "a newer format":
        data["format"] = 99
    elif case == "an unknown field":
        data["colour"] = "red"
    elif case == "negative length":
        data["frames"] = -5
    elif case == "zero sample rate":
        data["sample_rate"] = 0
    elif case == "a stem named ../x":
        data["sources"] = ["../x"]
    elif case == "blocks_done not bits":
        data["blocks_done"] = [True]
    return json.dumps(data)


@pytest.mark.parametrize("case", list(BAD_MANIFESTS))
def test_a_bad_manifest_is_one_line_and_list_skips_it(old_folders, tmp_path, capsys, case):
    song = old_folders
    other = cache.write_song("f" * 24, {"bass": sf.read(song.stem_path("bass"), dtype="float32",
                                                         always_2d=True)[0].T.copy()},
                             44100, title="fine", original_name="fine.wav", source_hash="f",
                             model="test")
    manifest = song.dir / "manifest.json"
    text = BAD_MANIFESTS[case]
    if text is None:
        text = _spoil(json.loads(manifest.read_text()), case)
    manifest.write_bytes(text if isinstance(text, bytes) else text.encode())
    line = _assert_one_line_error(capsys, woodshed("export", str(song.dir), "-o",
                                                   str(tmp_path / "x.wav")))
    assert "not a readable Woodshed song folder" in line
    assert woodshed("cache", "list") == 0
    captured = capsys.readouterr()
    assert "fine" in captured.out and "1 songs" in captured.out
    assert captured.err.count("\n") == 1 and f"warning: skipped {song.dir}" in captured.err
    assert other.dir.is_dir()


@pytest.mark.parametrize("text", ["[]", "null", "{bad", '{"version": 99}', '"x"',
                                  '{"tempo": "fast", "loops": [1], "loop": [3, 1], "muted": 7}',
                                  '{"tempo": 1e308, "pitch_semitones": -400, "gains_db": {"bass": "x"}}',
                                  '{"trainer": {"start": 0.6, "step": -0.05, "every": 0}, "trainer_on": 1}',
                                  '{"trainer": [1], "loops": [{"name": "a", "start_s": 1, "end_s": 2, '
                                  '"bars": [9, 2], "tempo": 9, "mix": 3}]}'])
def test_a_bad_session_file_opens_the_song_as_new_or_keeps_what_is_sound(old_folders, text):
    from woodshed.player.ui.session import Session, load_session, session_path

    song = old_folders
    session_path(song.key).write_text(text)
    session = load_session(song.key)
    assert isinstance(session, Session)
    assert 0.25 <= session.tempo <= 2.0 and -12 <= session.pitch_semitones <= 12
    assert all(isinstance(v, float) for v in session.gains_db.values())
    assert session.loop is None and all(isinstance(m, str) for m in session.muted)
    assert session.trainer == {"start": 0.6, "step": 0.05, "every": 2, "target": 1.0}
    assert session.trainer_on is False
    assert all(loop.bars is None and loop.tempo is None and loop.mix is None for loop in session.loops)


@pytest.mark.parametrize("text", ["[]", "{bad", '{"limit_bytes": "lots"}', '{"limit_bytes": -1}',
                                  '{"limit_bytes": true}'])
def test_bad_cache_settings_fall_back_to_the_default_limit(old_folders, text, capsys):
    (old_folders.dir.parent / "settings.json").write_text(text)
    assert cache.size_limit_bytes() == cache.DEFAULT_LIMIT_BYTES
    assert woodshed("cache", "list") == 0


def test_adding_a_field_with_a_default_reads_old_manifests():
    """What manifest.py tells the next engineer to do, shown to work."""
    from dataclasses import dataclass, field

    @dataclass
    class WithBeats(Manifest):
        beats_s: list = field(default_factory=list)

    text = (FIXTURE / "cache").glob("*/manifest.json").__next__().read_text()
    assert WithBeats.from_json(text).beats_s == []


def test_a_session_keeps_the_trainer_and_what_saved_loops_remember():
    """Saved and read back: the trainer's settings and on/off, and each saved loop's tempo,
    pitch, mix and bars (a reopened song brought loops back with their times only)."""
    from woodshed.player.ui.session import SavedLoop, Session, load_session, save_session

    mix = {"gains_db": {"bass": -6.0}, "muted": ["drums"], "soloed": [], "pans": {}}
    saved = Session(trainer={"start": 0.5, "step": 0.1, "every": 3, "target": 0.9}, trainer_on=True,
                    loops=[SavedLoop("chorus", 76.8, 96.0, 0.7, -2.0, mix, (33, 40)),
                           SavedLoop("free", 1.25, 3.5)])
    save_session("k" * 16, saved)
    again = load_session("k" * 16)
    assert again.trainer == {"start": 0.5, "step": 0.1, "every": 3, "target": 0.9}
    assert again.trainer_on is True
    assert again.loops == saved.loops


# --- every file a musician's Woodshed leaves, kept as it wrote them -------------------------
# Folders written by tests/fixtures/write_fixture.py, each with the Woodshed of its day: one
# song with every per-song file, the cache settings, sessions, grid fixes, MIDI bindings and
# window.ini. What each must still say when this Woodshed opens it:
KEPT = {
    # the Woodshed at the start of 2026-11-26 (e238989): manifest format 1, grid fixes in the
    # song folder, window.ini without a format
    "2026-11-26-start": {"source_path": None},
    # this session's (manifest format 2, grid fixes in the data folder, window.ini format 1)
    "2026-11-26-end": {"source_path": "/tmp/woodshed-fixture/Blue Bossa"},
}
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(params=list(KEPT))
def kept(request, tmp_path, monkeypatch):
    """A kept folder, copied: (its name, the song in it)."""
    shutil.copytree(FIXTURES / request.param, tmp_path / "kept")
    monkeypatch.setenv("WOODSHED_CACHE_DIR", str(tmp_path / "kept" / "cache"))
    monkeypatch.setenv("WOODSHED_DATA_DIR", str(tmp_path / "kept" / "data"))
    monkeypatch.delenv("WOODSHED_CACHE_LIMIT", raising=False)
    songs = cache.list_songs()
    assert len(songs) == 1
    return request.param, songs[0]


def test_every_file_a_kept_folder_holds_opens_with_this_woodshed(kept, tmp_path, capsys):
    from woodshed.player.midi.bindings import load_bindings
    from woodshed.player.ui.session import load_session
    from woodshed.separation.beats import grid

    name, song = kept
    m = song.manifest
    assert m.sources == ["bass", "guitar"] and m.complete and m.title == "Blue Bossa"
    assert m.source_path == KEPT[name]["source_path"]
    assert cache.size_limit_bytes() == 5 * 10**9
    analysis, fixes = grid.load_analysis(song.dir), grid.load_fixes(song.dir)
    assert analysis.beats_s == (0.0, 0.0625, 0.125, 0.1875)
    assert fixes.shift_ms == 12.5 and fixes.beats_per_bar == 3
    assert grid.apply_fixes(analysis, fixes).beats_per_bar == 3
    session = load_session(song.key)
    assert (session.tempo, session.pitch_semitones, session.muted) == (0.8, 2.0, ["guitar"])
    assert session.gains_db == {"bass": -3.0} and session.pans == {"bass": -0.5}
    assert session.loop == (0.05, 0.2) and session.loop_enabled and session.position_s == 0.1
    assert [(m.name, m.time_s) for m in session.markers] == [("Verse", 0.0), ("Chorus", 0.125)]
    riff, solo = session.loops
    assert (riff.name, riff.start_s, riff.end_s, riff.tempo) == ("Riff", 0.05, 0.15, None)
    assert (solo.tempo, solo.pitch_semitones, solo.mix["soloed"]) == (0.7, -1.0, ["guitar"])
    bindings, warning = load_bindings()
    assert warning is None
    pedal = bindings["FCB1010"][0]
    assert (pedal.action, pedal.gesture, pedal.pedal) == ("play.toggle", "double_tap", "toggle")
    assert woodshed("cache", "list") == 0
    assert "1 songs" in capsys.readouterr().out
    out = tmp_path / "backing.wav"
    assert woodshed("export", str(song.dir), "-o", str(out), "--without", "guitar") == 0
    assert sf.info(out).frames == m.frames


def _kinds(folder: Path) -> set[str]:
    """The files in a written folder, the song's key left out: what kinds of file it holds."""
    key = next(p.name for p in (folder / "cache").iterdir() if cache.KEY_PATTERN.fullmatch(p.name))
    return {str(p.relative_to(folder)).replace(key, "KEY") for p in folder.rglob("*")
            if p.is_file()}


def test_every_file_this_woodshed_writes_is_in_a_kept_folder(tmp_path):
    """A new kind of file (or a file moved) needs a kept folder holding it: run
    tests/fixtures/write_fixture.py (extended to write it) into tests/fixtures/<today>."""
    written = tmp_path / "now"
    result = subprocess.run([sys.executable, str(FIXTURES / "write_fixture.py"), str(written)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    kept_kinds = set().union(*(_kinds(FIXTURES / name) for name in KEPT))
    assert _kinds(written) <= kept_kinds


# --- a file this Woodshed cannot read is kept, never written over ---------------------------
NOT_READ = {"newer": None, "damaged": "{not json"}


@pytest.mark.parametrize("what", list(NOT_READ))
def test_a_session_it_cannot_read_is_kept_beside_the_new_one(old_folders, what):
    from woodshed.player.ui.session import Session, load_session, save_session, session_path

    song = old_folders
    path = session_path(song.key)
    text = NOT_READ[what] or json.dumps({"version": 99, "tempo": 0.5, "new_idea": [1, 2]})
    path.write_text(text)
    assert load_session(song.key) == Session()  # the song opens as new
    save_session(song.key, Session(tempo=0.9))  # as the window does a moment later
    assert load_session(song.key).tempo == 0.9
    kept = [p for p in path.parent.iterdir() if p != path]
    assert [p.read_text() for p in kept] == [text] and kept[0].name.startswith(path.name)


@pytest.mark.parametrize("what", list(NOT_READ))
def test_midi_bindings_it_cannot_read_are_kept_beside_the_new_ones(old_folders, what):
    from woodshed.player.midi.bindings import (bindings_path, default_bindings, load_bindings,
                                               save_bindings)

    path = bindings_path()
    text = NOT_READ[what] or json.dumps({"version": 99, "devices": {"*": [{"gesture": "hold"}]}})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    table, warning = load_bindings()
    assert table == default_bindings() and "\n" not in warning
    assert path.read_text() == text  # left as it is until a control is bound
    save_bindings(table)
    assert load_bindings() == (table, None)
    kept = [p for p in path.parent.iterdir() if p.name.startswith(path.name + ".")]
    assert [p.read_text() for p in kept] == [text]


@pytest.mark.parametrize("what", list(NOT_READ))
def test_grid_fixes_it_cannot_read_are_kept_beside_the_new_ones(old_folders, what):
    from woodshed.separation.beats import grid

    song = old_folders
    path = grid.fixes_path(song.dir)
    text = NOT_READ[what] or json.dumps({"format": 99, "tempo": "triple"})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    assert grid.load_fixes(song.dir).empty
    grid.save_fixes(song.dir, grid.Fixes(shift_ms=5.0))
    assert grid.load_fixes(song.dir).shift_ms == 5.0
    kept = [p for p in path.parent.iterdir() if p != path]
    assert [p.read_text() for p in kept] == [text]
