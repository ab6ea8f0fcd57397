"""Backing tracks to files: equal to what the renderer plays, whole or not at all."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from woodshed.separation.errors import UserError
from woodshed.player.engine.controls import Controls
from woodshed.player.engine.export import export_mix, export_stems
from woodshed.player.engine.render import Renderer
from stem_songs import level_db
from test_render import RATE, make_song, noise, tone


@pytest.fixture
def band(cache_dir):
    stems = {"drums": noise(2, 1), "bass": tone(110, 2), "guitar": tone(330, 2, 0.2)}
    return make_song(stems), stems


@pytest.fixture
def out_dir(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    return d


def read(path):
    audio, rate = sf.read(path, dtype="float32", always_2d=True)
    return audio.T, rate


def test_export_without_guitar_equals_the_render(band, out_dir):
    song, stems = band
    fractions = []
    out = export_mix(song, out_dir / "backing.wav", without=["guitar"], gains_db={"bass": -3},
                     tempo=0.75, pitch_semitones=-2, progress=fractions.append)
    audio, rate = read(out)
    c = Controls.for_song(song)
    c.set_mute("guitar", True)
    c.set_gain_db("bass", -3)
    c.set_tempo(0.75)
    c.set_pitch(-2)
    expected = Renderer(song, c).render(audio.shape[1])
    assert rate == RATE and audio.shape[1] == round(2 * RATE / 0.75)
    np.testing.assert_array_equal(audio, expected)
    assert fractions[-1] == pytest.approx(1.0) and fractions == sorted(fractions)
    assert [p.name for p in out_dir.iterdir()] == ["backing.wav"]  # no temporary left


def test_export_takes_pans_and_the_master_volume_as_set(band, out_dir):
    song, stems = band
    out = export_mix(song, out_dir / "panned.wav", only=["bass", "guitar"],
                     pans={"bass": -1.0}, master_db=-6.0, start_s=0.5, end_s=1.0)
    audio, _ = read(out)
    a, b = round(0.5 * RATE), round(1.0 * RATE)
    c = Controls.for_song(song)
    c.set_mute("drums", True)
    c.set_pan("bass", -1.0)
    c.set_master_db(-6.0)
    c.seek(0.5)
    np.testing.assert_array_equal(audio, Renderer(song, c).render(b - a))
    plain, _ = read(export_mix(song, out_dir / "plain.wav", only=["bass", "guitar"],
                               start_s=0.5, end_s=1.0))
    assert np.abs(audio[1]).max() < 0.6 * np.abs(plain[1]).max()  # bass gone from the right


def test_export_of_a_span_at_normal_tempo_is_exact(band, out_dir):
    song, stems = band
    out = export_mix(song, out_dir / "span.wav", only=["bass", "drums"], start_s=0.5, end_s=1.25)
    audio, _ = read(out)
    a, b = round(0.5 * RATE), round(1.25 * RATE)
    np.testing.assert_allclose(audio, (stems["bass"] + stems["drums"])[:, a:b], atol=1e-6)


@pytest.mark.parametrize("extension", [".flac", ".ogg", ".mp3"])
def test_compressed_formats(band, out_dir, extension):
    song, _ = band
    out = export_mix(song, out_dir / f"backing{extension}", without=["drums"])
    audio, rate = read(out)
    assert rate == RATE
    assert abs(audio.shape[1] - 2 * RATE) < 0.1 * RATE  # mp3 pads a little
    assert 0.1 < np.abs(audio).max() <= 1.0


def test_a_mix_over_full_scale_clips_in_flac_and_says_so_but_stays_whole_in_wav(band, out_dir):
    song, stems = band
    loud = {"drums": 12.0, "bass": 12.0}  # ~4x: well over full scale
    told = []
    flac = export_mix(song, out_dir / "loud.flac", without=["guitar"], gains_db=loud,
                      clipped=lambda *report: told.append(report))
    wav = export_mix(song, out_dir / "loud.wav", without=["guitar"], gains_db=loud,
                     clipped=lambda *report: told.append(report))
    (path, samples, peak_db), = told  # once, for the FLAC only
    kept, _ = read(wav)
    over = np.abs(kept) > 1.0
    assert path == flac and samples == np.count_nonzero(over) > 0
    assert peak_db == pytest.approx(20 * np.log10(np.abs(kept).max()), abs=0.01)
    clipped, _ = read(flac)
    assert np.abs(clipped).max() <= 1.0
    np.testing.assert_allclose(clipped[~over], kept[~over], atol=1e-5)  # only the peaks differ


def test_stems_export_sums_to_the_mix(band, out_dir):
    song, _ = band
    paths = export_stems(song, out_dir / "stems", without=["guitar"])
    assert sorted(p.name for p in paths) == ["bass.wav", "drums.wav"]
    whole, _ = read(export_mix(song, out_dir / "mix.wav", without=["guitar"]))
    total = sum(read(p)[0] for p in paths)
    np.testing.assert_allclose(total, whole, atol=1e-5)


@pytest.mark.parametrize("name, message", [
    ("missing/backing.wav", "does not exist"),
    ("backing.aiff2", "unknown extension"),
    ("backing", "unknown extension"),
])
def test_bad_output_paths_are_one_line_and_leave_nothing(band, out_dir, name, message):
    song, _ = band
    with pytest.raises(UserError, match=message) as exc:
        export_mix(song, out_dir / name)
    assert "\n" not in str(exc.value)
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize("kwargs, message", [
    ({"without": ["kazoo"]}, "unknown stem"), ({"tempo": 4}, "tempo"),
    ({"start_s": 1.5, "end_s": 1.0}, "after start"), ({"pitch_semitones": 13}, "pitch"),
    ({"without": ["bass"], "only": ["drums"]}, "not both"),
])
def test_bad_settings_are_user_errors_before_any_file(band, out_dir, kwargs, message):
    song, _ = band
    with pytest.raises(UserError, match=message):
        export_mix(song, out_dir / "x.wav", **kwargs)
    assert list(out_dir.iterdir()) == []


def test_a_failed_write_leaves_no_partial_file(band, out_dir):
    song, _ = band

    def boom(fraction):
        if fraction > 0.3:
            raise KeyboardInterrupt  # the musician pressed Ctrl-C half way
    with pytest.raises(KeyboardInterrupt):
        export_mix(song, out_dir / "long.wav", tempo=0.5, progress=boom)
    assert list(out_dir.iterdir()) == []


def test_backing_track_of_a_real_multitrack_is_the_band(cache_dir, sectoid_songs, capsys, out_dir):
    """Debian's fretsonfire-songs-sectoid: song.ogg is the band, guitar.ogg the lead guitar.
    Imported, then exported without the guitar, the backing track is the band."""
    from pathlib import Path

    from woodshed.player.cli.main import main
    from woodshed.separation.cache import open_song

    folder = sectoid_songs / "Metal madness"
    assert main(["import", "--quiet", str(folder)]) == 0
    song = open_song(Path(capsys.readouterr().out.strip()))
    out = export_mix(song, out_dir / "backing.wav", without=["guitar"], start_s=30, end_s=60)
    backing, rate = read(out)
    band, band_rate = sf.read(str(folder / "song.ogg"), start=30 * 44100, stop=60 * 44100,
                              dtype="float32", always_2d=True)
    assert rate == band_rate == 44100
    band = band.T
    residual_db = 10 * np.log10(max(np.sum((backing - band) ** 2), 1e-30) / np.sum(band ** 2))
    assert residual_db < -60
    guitar_db = 10 * np.log10(np.sum((read(export_mix(song, out_dir / "all.wav", start_s=30,
                                                        end_s=60))[0] - band) ** 2)
                              / np.sum(band ** 2))
    assert guitar_db > -30  # with the guitar it is not the band alone: the test can tell


@pytest.mark.parametrize("kwargs, message", [
    ({"only": []}, "no stems left"), ({"extension": ".aiff2"}, "unknown extension"),
    ({"without": ["kazoo"]}, "unknown stem"),
])
def test_bad_stem_exports_create_no_folder(band, out_dir, kwargs, message):
    song, _ = band
    with pytest.raises(UserError, match=message):
        export_stems(song, out_dir / "stems", **kwargs)
    assert list(out_dir.iterdir()) == []
    with pytest.raises(UserError, match="does not exist"):
        export_stems(song, out_dir / "missing" / "stems")


def test_a_song_still_separating_exports_only_its_separated_parts(cache_dir, out_dir):
    song = make_song({"bass": tone(110, 2.0), "guitar": tone(330, 2.0)},
                     ready_until_frame=RATE)
    with pytest.raises(UserError, match="whole song is not separated yet"):
        export_mix(song, out_dir / "backing.wav", without=["guitar"])
    with pytest.raises(UserError, match="this part is not separated yet"):
        export_mix(song, out_dir / "loop.wav", without=["guitar"], start_s=0.5, end_s=1.5)
    with pytest.raises(UserError, match="not separated yet"):
        export_stems(song, out_dir / "stems")
    assert list(out_dir.iterdir()) == []
    # A loop inside the separated first second exports: the bass alone, no guitar.
    out = export_mix(song, out_dir / "loop.wav", without=["guitar"], start_s=0.25, end_s=0.75)
    audio, rate = sf.read(out, always_2d=True)
    assert len(audio) == pytest.approx(0.5 * rate, abs=2)
    assert level_db(audio.T, 110, rate) - level_db(audio.T, 330, rate) > 40
