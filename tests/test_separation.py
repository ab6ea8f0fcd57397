"""Separation equals demucs' apply_model, in any order, across kills, into a consistent cache."""
from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest
import soundfile as sf

import songs
from pathlib import Path

from woodshed.separation import cache, wavfile
from woodshed.separation.beats.analyse import known_grid
from woodshed.separation.beats.grid import GRID_FILE
from woodshed.separation.separate import (Cancelled, Done, Progress, Ready, Separation,
                                 SeparationSettings, separate_song)


def reference_stems(model_repo, model_name, audio, overlap=0.25):
    """What the demucs command computes: normalise, apply_model(split, shifts=0), undo."""
    import torch
    from demucs.apply import apply_model
    from demucs.pretrained import get_model

    model = get_model(model_name, repo=model_repo)
    wav = torch.from_numpy(audio)
    ref = wav.mean(0)
    mean, std = ref.mean(), ref.std() + 1e-8
    with torch.inference_mode():
        out = apply_model(model, ((wav - mean) / std)[None], shifts=0, split=True,
                          overlap=overlap)
    return {name: (out[0, i] * std + mean).numpy() for i, name in enumerate(model.sources)}


def sdr_db(reference, estimate):
    return 10 * np.log10(np.sum(reference ** 2) / max(np.sum((reference - estimate) ** 2), 1e-30))


def stems_of(song, start_frame=0, end_frame=None):
    return {name: np.array(wavfile.open_memmap(song.stem_path(name))[start_frame:end_frame].T)
            for name in song.manifest.sources}


@pytest.mark.parametrize("model_name,overlap", [("test6s", 0.25), ("test4s", 0.5),
                                                 ("testbag", 0.25)])
def test_stems_equal_demucs_apply_model(model_repo, cache_dir, tmp_path, model_name, overlap):
    audio = songs.music(6.3)
    path = songs.write(tmp_path / "song.wav", audio)
    settings = SeparationSettings(model=model_name, model_repo=model_repo, overlap=overlap)
    song = separate_song(path, settings)
    expected = reference_stems(model_repo, model_name, audio, overlap)
    assert song.manifest.complete and song.manifest.sources == list(expected)
    ours = stems_of(song)
    for name in expected:
        assert ours[name].shape == expected[name].shape
        assert sdr_db(expected[name], ours[name]) >= 40, name
    # The stems are standard float WAVs that any program can read, with the song's length.
    info = sf.info(str(song.stem_path("drums")))
    assert (info.samplerate, info.channels, info.frames, info.subtype) == (44100, 2, audio.shape[1], "FLOAT")
    assert not (song.dir / ".work").exists()
    # Peaks for drawing exist for every stem and the mix, and follow the audio.
    mins, maxs = song.manifest.peaks_of("drums")
    assert len(maxs) == -(-audio.shape[1] // song.manifest.frames_per_peak)
    # (drawn peaks stop at full scale; the stems themselves are float and never clip)
    assert np.max(maxs) == pytest.approx(min(np.max(expected["drums"]), 1), abs=1 / 127 + 1e-6)
    assert np.max(song.manifest.peaks_of("mix")[1]) == pytest.approx(min(audio.max(), 1),
                                                                     abs=1 / 127 + 1e-6)
    # And the RMS of the same bins (the lanes' loudness), within its 0.35 dB steps.
    fpp = song.manifest.frames_per_peak
    for name, audio_of in (("drums", ours["drums"]), ("mix", audio)):
        bins = -(-audio_of.shape[1] // fpp)
        padded = np.zeros((audio_of.shape[0], bins * fpp))
        padded[:, :audio_of.shape[1]] = audio_of
        counts = np.minimum(fpp, audio_of.shape[1] - np.arange(bins) * fpp) * audio_of.shape[0]
        truth = np.sqrt(np.square(padded).reshape(audio_of.shape[0], bins, fpp).sum(axis=(0, 2)) / counts)
        stored = song.manifest.rms_of(name)
        loud = truth > 1e-3
        assert loud.sum() > bins // 2, name
        assert np.abs(20 * np.log10(stored[loud] / truth[loud])).max() < 0.2, name


def run_until(job, n_progress, timeout_s=120):
    """Follow a started job until it has reported n_progress segments done."""
    deadline = time.monotonic() + timeout_s
    seen = 0
    while time.monotonic() < deadline:
        for event in job.poll(0.2):
            if isinstance(event, Progress):
                seen += 1
                if seen > n_progress:
                    return
            assert not isinstance(event, Done), "finished before it could be interrupted"
    raise AssertionError("no progress")


def test_priority_region_is_separated_first(model_repo, cache_dir, tmp_path):
    audio = songs.music(20.0)
    path = songs.write(tmp_path / "song.wav", audio)
    job = Separation(path, SeparationSettings(model="test6s", model_repo=model_repo))
    job.start(first_s=(14.0, 15.5))
    rate = 44100
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # watch the manifest as the player does
        job.poll(0.2)
        song = cache.find(job.key)
        ranges = song.manifest.ready_ranges() if song else []
        if any(s <= 14.0 * rate and e >= 15.5 * rate for s, e in ranges):
            break
    else:
        raise AssertionError("the asked-for region never became ready")
    job.cancel()
    assert song.manifest.blocks_done[0] is False  # the start of the song waits its turn
    assert not song.manifest.complete


def test_killed_run_resumes_and_ends_equal(model_repo, cache_dir, tmp_path):
    audio = songs.music(24.0)
    path = songs.write(tmp_path / "song.wav", audio)
    settings = SeparationSettings(model="test6s", model_repo=model_repo)
    expected = reference_stems(model_repo, "test6s", audio)
    job = Separation(path, settings)
    job.start()
    run_until(job, 8)
    os.kill(job._process.pid, signal.SIGKILL)  # as hard as a crash or a power cut of the process
    job._process.join()
    song = cache.find(job.key)
    done_ranges = song.manifest.ready_ranges()
    assert done_ranges and not song.manifest.complete
    # Whatever the manifest calls done is final audio already.
    for start, end in done_ranges:
        ours = stems_of(song, start, end)
        for name in expected:
            assert sdr_db(expected[name][:, start:end], ours[name]) >= 40
    # A new run resumes: it starts with segments already counted, and ends equal.
    again = Separation(path, settings)
    assert again.cached() is None
    again.start()
    first_progress = None
    while True:
        events = again.poll(0.5)
        for event in events:
            if isinstance(event, Progress) and first_progress is None:
                first_progress = event.done
        if any(isinstance(e, Done) for e in events):
            break
        assert not again.finished or any(isinstance(e, Done) for e in events)
    assert first_progress and first_progress > 0
    song = again.cached()
    ours = stems_of(song)
    for name in expected:
        assert sdr_db(expected[name], ours[name]) >= 40


def test_cancel_stops_and_leaves_a_resumable_cache(model_repo, cache_dir, tmp_path):
    path = songs.write(tmp_path / "song.wav", songs.music(20.0))
    job = Separation(path, SeparationSettings(model="test6s", model_repo=model_repo))
    job.start()
    events = []
    while not any(isinstance(e, Ready) for e in events):
        events += job.poll(1.0)
    job.cancel()
    assert not job._process.is_alive()
    song = cache.find(job.key)
    assert song is not None and not song.manifest.complete
    assert Separation(path, job.settings).cached() is None


def test_cached_song_returns_at_once(model_repo, cache_dir, tmp_path):
    path = songs.write(tmp_path / "song.wav", songs.music(3.0))
    settings = SeparationSettings(model="test6s", model_repo=model_repo)
    first = separate_song(path, settings)
    stamp = first.stem_path("bass").stat().st_mtime_ns
    job = Separation(path, settings)
    assert job.cached() is not None
    again = separate_song(path, settings)
    assert again.dir == first.dir
    assert first.stem_path("bass").stat().st_mtime_ns == stamp  # nothing was redone
    # Other settings are other stems.
    other = Separation(path, SeparationSettings(model="test6s", model_repo=model_repo, overlap=0.5))
    assert other.key != job.key and other.cached() is None


def demo_mix(path: Path, seconds: float = 9.6) -> Path:
    """The demo song's stems summed into one song file, its first bars (100 BPM, 4/4: its
    grid is known)."""
    from importlib.resources import files

    demo = Path(str(files("woodshed.resources") / "demo"))
    stems = [sf.read(str(p), dtype="float32", always_2d=True) for p in sorted(demo.glob("*.ogg"))]
    mix = sum(audio for audio, _ in stems)[:int(seconds * stems[0][1])]
    return songs.write(path, mix.T, stems[0][1])


def test_separation_finds_the_beats_from_the_mix_before_the_stems(model_repo, cache_dir, tmp_path):
    """The separation process finds the song's grid itself, from mix.wav as soon as that
    exists (a thread of its own): here before the stems are done; and done means both."""
    path = demo_mix(tmp_path / "demo.wav")
    job = Separation(path, SeparationSettings(model="test6s", model_repo=model_repo))
    job.start()
    deadline = time.monotonic() + 300
    complete_when_found, done = None, None
    while time.monotonic() < deadline and done is None:
        for event in job.poll(0.05):
            assert isinstance(event, (Ready, Progress, Done)), event
            done = event.song if isinstance(event, Done) else None
        song = cache.find(job.key)
        if song is not None and (song.dir / GRID_FILE).exists() and complete_when_found is None:
            complete_when_found = song.manifest.complete
    song = done
    state, needed = known_grid(song.dir)
    assert not needed and abs(state.grid.bpm - 100) < 0.5          # nothing left to analyse
    assert complete_when_found is False, "the grid came only with the stems"
