"""`woodshed import`: stems a musician already has go into the cache, aligned, with no separation."""
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from woodshed.player.cli.main import main
from woodshed.separation import cache, song_lock, wavfile
from woodshed.separation.audio_file import read_blocks
from woodshed.separation.importer import import_folder
from woodshed.separation.stem_folder import read_song_ini, read_stem_folder, sanitise, strip_common_prefix


def tone(freq_hz, sample_rate, seconds, channels=1, amplitude=0.3):
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    return np.tile((amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32), (channels, 1))


def write(path: Path, audio: np.ndarray, sample_rate: int, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), audio.T, sample_rate, **kwargs)
    return path


def decoded(path) -> np.ndarray:
    """What Woodshed's decoder makes of a file at 44.1 kHz stereo (the reference for stems)."""
    return np.concatenate(list(read_blocks(path, 44100, 2)), axis=1)


def stem(song, name) -> np.ndarray:
    return np.asarray(wavfile.open_memmap(song.stem_path(name))).T


def run_import(capsys, *paths):
    status = main(["import", "--quiet", *map(str, paths)])
    out, err = capsys.readouterr()
    return status, out, err


def assert_nothing_cached(cache_dir: Path):
    # (the lock files of songs are a few bytes each and kept: see separation/song_lock.py)
    leftovers = [p for p in cache_dir.iterdir() if p.name != song_lock.LOCK_FOLDER] \
        if cache_dir.exists() else []
    assert leftovers == []


# --- plain folders -------------------------------------------------------------------
def test_plain_folder_one_stem_per_file(cache_dir, tmp_path, capsys):
    folder = tmp_path / "Blue Bossa stems"
    drums = write(folder / "Drums.wav", tone(100, 44100, 2, 2), 44100, subtype="FLOAT")
    bass = write(folder / "Bass.wav", tone(55, 44100, 2, 2), 44100, subtype="FLOAT")
    sax = write(folder / "Lead Sax!.wav", tone(440, 44100, 2, 2), 44100, subtype="FLOAT")
    (folder / "notes.txt").write_text("count in: 4 bars")
    status, out, err = run_import(capsys, folder)
    assert status == 0, err
    song = cache.open_song(Path(out.strip()))
    assert song.dir.parent == cache_dir
    m = song.manifest
    assert sorted(m.sources) == ["bass", "drums", "lead_sax"]
    assert (m.model, m.title, m.sample_rate, m.channels, m.frames) == \
        ("import", "Blue Bossa stems", 44100, 2, 88200)
    assert m.complete
    for name, path in [("drums", drums), ("bass", bass), ("lead_sax", sax)]:
        np.testing.assert_array_equal(stem(song, name), sf.read(str(path), dtype="float32")[0].T)
    mix = np.asarray(wavfile.open_memmap(song.mix_path)).T
    np.testing.assert_allclose(mix, stem(song, "drums") + stem(song, "bass") + stem(song, "lead_sax"),
                               atol=1e-6)
    mins, maxs = m.peaks_of("lead_sax")
    assert maxs.max() > 0.25 and mins.min() < -0.25  # peaks drawn from the stem


def test_different_lengths_and_rates_are_aligned(cache_dir, tmp_path):
    folder = tmp_path / "odd stems"
    write(folder / "short.wav", tone(440, 44100, 1, 2), 44100, subtype="FLOAT")
    write(folder / "long mono 48k.wav", tone(440, 48000, 2), 48000, subtype="FLOAT")
    write(folder / "mid 22k.flac", tone(440, 22050, 1.5), 22050)
    song = import_folder(folder)
    assert song.manifest.frames == 2 * 44100  # the longest, at 44.1 kHz
    short = stem(song, "short")
    np.testing.assert_array_equal(short[:, :44100], tone(440, 44100, 1, 2))
    assert not short[:, 44100:].any()  # padded with silence after its end
    long = stem(song, "long_mono_48k")
    assert np.array_equal(long[0], long[1])  # mono on both sides
    spectrum = np.abs(np.fft.rfft(long[0]))
    assert abs(np.argmax(spectrum) * 44100 / long.shape[1] - 440) < 1  # resampled, same pitch
    mid = stem(song, "mid_22k")
    assert np.abs(mid[:, 1000:60000]).max() > 0.29 and not mid[:, 66200:].any()


def test_import_twice_returns_the_cached_song(cache_dir, tmp_path):
    folder = tmp_path / "song"
    write(folder / "guitar.wav", tone(330, 44100, 1), 44100)
    first = import_folder(folder)
    written_ns = first.stem_path("guitar").stat().st_mtime_ns
    moved = tmp_path / "renamed copy"
    shutil.copytree(folder, moved)
    again = import_folder(moved)  # same bytes: same song, not imported again
    assert again.dir == first.dir
    assert again.stem_path("guitar").stat().st_mtime_ns == written_ns
    assert len(cache.list_songs()) == 1


def test_command_shows_progress_only_while_importing(cache_dir, tmp_path, capfd):
    folder = tmp_path / "song"
    write(folder / "guitar.wav", tone(330, 44100, 1), 44100)
    assert main(["import", str(folder)]) == 0
    out, err = capfd.readouterr()
    assert "song:" in err and "%|" in err  # the bar, on stderr
    assert main(["import", str(folder)]) == 0
    again, err = capfd.readouterr()
    assert again == out and err == ""  # cached: the folder at once, no bar


def test_progress_reaches_the_end(cache_dir, tmp_path):
    folder = tmp_path / "long"
    write(folder / "pad.flac", tone(220, 44100, 20), 44100)
    calls = []
    song = import_folder(folder, progress=lambda done, total: calls.append((done, total)))
    assert len(calls) > 2
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert calls[-1] == (song.manifest.frames, song.manifest.frames)


# --- rhythm-game song folders --------------------------------------------------------
def test_frets_on_fire_layout_with_song_ini(cache_dir, tmp_path, capsys):
    folder = tmp_path / "Ace of Spades"
    parts = {"song": tone(110, 44100, 3, 2), "guitar": tone(330, 44100, 3, 2),
             "drums_1": tone(60, 44100, 3, 2), "drums_2": tone(200, 44100, 2.5, 2),
             "preview": tone(440, 44100, 1, 2)}
    for name, audio in parts.items():
        write(folder / f"{name}.ogg", audio, 44100)
    (folder / "notes.chart").write_text("[Song]\n")
    (folder / "video.webm").write_bytes(b"\x1aE\xdf\xa3 a background video, never read")
    # Written by some Windows tool: Latin-1, capitalised section and keys, extra spaces.
    (folder / "song.ini").write_bytes("[Song]\nName = Ace of Spades \nArtist=Motörhead\n"
                                      "delay = 0\n".encode("latin-1"))
    status, out, err = run_import(capsys, folder)
    assert status == 0, err
    song = cache.open_song(Path(out.strip()))
    m = song.manifest
    assert m.sources == ["guitar", "drums", "backing"]  # no preview clip, no background video
    assert (m.title, m.artist) == ("Ace of Spades", "Motörhead")
    assert m.frames == 3 * 44100
    drums_1, drums_2 = decoded(folder / "drums_1.ogg"), decoded(folder / "drums_2.ogg")
    expected = drums_1.copy()
    expected[:, :drums_2.shape[1]] += drums_2
    np.testing.assert_allclose(stem(song, "drums"), expected, atol=1e-6)
    np.testing.assert_allclose(stem(song, "backing"), decoded(folder / "song.ogg"), atol=1e-6)


def test_song_ini_tolerates_odd_files(tmp_path):
    ini = tmp_path / "song.ini"
    ini.write_bytes(b"\xef\xbb\xbf[song]\nname = Caf\xc3\xa9\nartist =\nname = Twice\n")
    assert read_song_ini(ini) == {"name": "Twice"}  # utf-8 with BOM; empty keys dropped
    ini.write_bytes(b"no section header at all\n")
    assert read_song_ini(ini) == {}
    assert read_song_ini(tmp_path / "missing.ini") == {}


def test_stem_names_from_file_names(tmp_path):
    assert sanitise("01 Lead Vox (Dbl)") == "01_lead_vox_dbl"
    assert sanitise("Gitarre ö") == "gitarre_ö"
    assert sanitise("!!!") == "stem"
    assert strip_common_prefix(["mysong_01_drums", "mysong_02_bass"]) == ["drums", "bass"]
    assert strip_common_prefix(["guitar_l", "guitar_r"]) == ["guitar_l", "guitar_r"]
    for name in ["Bass.wav", "bass.flac", "mix.wav"]:
        write(tmp_path / name, tone(50, 8000, 1), 8000)
    assert sorted(read_stem_folder(tmp_path).stems) == ["bass", "bass_2", "full_mix"]


def test_folder_of_song_folders_imports_each(cache_dir, tmp_path, capsys):
    for title, freq_hz in [("One", 330), ("Two", 440)]:
        write(tmp_path / "library" / title / "guitar.wav", tone(freq_hz, 44100, 1), 44100)
        (tmp_path / "library" / title / "song.ini").write_text(f"[song]\nname = {title}\n")
    status, out, err = run_import(capsys, tmp_path / "library")
    assert status == 0, err
    titles = [cache.open_song(Path(line)).manifest.title for line in out.split()]
    assert titles == ["One", "Two"]
    from woodshed.separation.beats.analyse import known_grid

    # each one analysed (a steady tone has no beats: that answer is kept too)
    assert [known_grid(Path(line))[1] for line in out.split()] == [False, False]


# --- bad input: exit 2, one line, nothing in the cache ------------------------------
def _broken_stem(folder: Path):
    write(folder / "guitar.wav", tone(330, 44100, 1), 44100)
    (folder / "bass.mp3").write_bytes(np.random.default_rng(1).bytes(200_000))


def _truncated_stem(suffix):
    def make(folder: Path):
        write(folder / "guitar.wav", tone(330, 44100, 1), 44100)
        drums = write(folder / f"drums{suffix}", tone(80, 44100, 10, 2), 44100)
        whole = drums.read_bytes()
        drums.write_bytes(whole[: len(whole) // 2])
    return make


def _cached_song_folder(folder: Path):
    write(folder / "guitar.wav", tone(330, 8000, 1), 8000)
    song = import_folder(folder)
    shutil.rmtree(folder)
    shutil.copytree(song.dir, folder)
    cache.remove(song)


@pytest.mark.parametrize("case, make, message", [
    ("missing path", None, "does not exist"),
    ("empty folder", lambda d: d.mkdir(), "no audio files"),
    ("folder of non-audio", lambda d: (d.mkdir(), (d / "cover.jpg").write_bytes(b"\xff\xd8"),
                                       (d / "notes.txt").write_text("hi")), "no audio files"),
    ("a song file, not a folder", lambda d: write(d, tone(440, 8000, 1), 8000, format="WAV"),
     "import takes a folder"),
    ("random bytes among stems", _broken_stem, "bass.mp3: not an audio file"),
    ("truncated flac stem", _truncated_stem(".flac"), "drums.flac: truncated or damaged"),
    ("truncated mp3 stem", _truncated_stem(".mp3"), "drums.mp3: truncated or damaged"),
    ("a Woodshed song folder", _cached_song_folder, "already a Woodshed song folder"),
])
def test_bad_input_one_line_and_nothing_cached(cache_dir, tmp_path, capfd, case, make, message):
    """capfd: what C libraries print to the terminal counts too; the musician sees one line."""
    folder = tmp_path / "stems"
    if make is not None:
        make(folder)
    status, out, err = run_import(capfd, folder)
    assert status == 2
    assert out == ""
    assert err.startswith("woodshed: error: ") and err.count("\n") == 1
    assert message in err
    assert_nothing_cached(cache_dir)


def test_cache_that_cannot_be_written(tmp_path, monkeypatch, capsys):
    write(tmp_path / "stems" / "guitar.wav", tone(330, 8000, 1), 8000)
    (tmp_path / "not a folder").write_text("")
    monkeypatch.setenv("WOODSHED_CACHE_DIR", str(tmp_path / "not a folder" / "cache"))
    status, out, err = run_import(capsys, tmp_path / "stems")
    assert status == 2 and err.count("\n") == 1
    assert "cannot write to the stem cache" in err


def test_cache_disk_full_while_importing(cache_dir, tmp_path, capfd):
    """A real failed write: the file-size limit (RLIMIT_FSIZE) makes the kernel refuse
    writes past 1 MB with EFBIG, as a full disk refuses them with ENOSPC."""
    resource = pytest.importorskip("resource")
    import signal

    write(tmp_path / "stems" / "guitar.wav", tone(330, 44100, 10), 44100)  # 3.5 MB as float
    previous_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, hard))
    try:
        status = main(["import", "--quiet", str(tmp_path / "stems")])
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous_handler)
    out, err = capfd.readouterr()
    assert status == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("woodshed: error: cannot write to the stem cache")
    assert_nothing_cached(cache_dir)


# --- memory stays flat with song length -----------------------------------------------
def _import_peak_bytes(folder: Path, seconds: int) -> int:
    import tracemalloc

    block = tone(440, 44100, 1)[0]
    for name in ["guitar", "bass"]:
        with sf.SoundFile(str(folder / f"{name}.wav"), "w", 44100, 1, subtype="PCM_16") as out:
            for _ in range(seconds):  # written block by block: the test holds no whole song
                out.write(block)
    tracemalloc.start()
    try:
        song = import_folder(folder)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert song.manifest.frames == seconds * 44100
    return peak


def test_import_memory_does_not_grow_with_song_length(cache_dir, tmp_path):
    """numpy reports its buffers to tracemalloc: importing 6 minutes peaks as 1 minute does,
    far below the 2 stems + mix the song fills on disk."""
    (tmp_path / "short").mkdir()
    (tmp_path / "long").mkdir()
    short_peak = _import_peak_bytes(tmp_path / "short", 60)
    long_peak = _import_peak_bytes(tmp_path / "long", 360)
    song_bytes = 3 * 360 * 44100 * 2 * 4
    assert long_peak < short_peak * 1.2 + (2 << 20)
    assert long_peak < song_bytes / 10


# --- a real multitrack ----------------------------------------------------------------
def test_real_frets_on_fire_song(cache_dir, sectoid_songs, capsys):
    folder = sectoid_songs / "Metal madness"
    status, out, err = run_import(capsys, folder)
    assert status == 0, err
    song = cache.open_song(Path(out.strip()))
    m = song.manifest
    assert m.sources == ["guitar", "backing"]
    assert (m.title, m.artist) == ("Metal madness", "Composed and performed by Sectoid")
    assert m.frames == sf.info(str(folder / "song.ogg")).frames  # 2 min 24 s at 44.1 kHz
    # One minute in: each stem is its file, the mix is the band with the lead guitar.
    window = slice(60 * 44100, 61 * 44100)
    guitar = sf.read(str(folder / "guitar.ogg"), start=window.start, stop=window.stop,
                     dtype="float32")[0].T
    band = sf.read(str(folder / "song.ogg"), start=window.start, stop=window.stop,
                   dtype="float32")[0].T
    np.testing.assert_allclose(stem(song, "guitar")[:, window], guitar, atol=1e-6)
    mix = np.asarray(wavfile.open_memmap(song.mix_path)).T[:, window]
    np.testing.assert_allclose(mix, band + guitar, atol=1e-5)
    assert np.abs(guitar).max() > 0.05 and np.abs(band).max() > 0.05  # real music, not silence


def test_import_finds_the_beats_once_and_the_window_need_not(cache_dir, capsys):
    """`woodshed import` leaves each song with its beat grid (found in a process of its own):
    nothing is left to analyse when the song is played or opened."""
    from importlib.resources import files

    from woodshed.separation.beats.analyse import known_grid

    status, out, err = run_import(capsys, Path(str(files("woodshed.resources") / "demo")))
    assert status == 0, err
    state, needed = known_grid(Path(out.strip()))
    assert not needed and abs(state.grid.bpm - 100) < 0.5
