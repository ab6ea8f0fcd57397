"""The neural tracker's real loading code (Beat This!'s model, our spectrogram and chunking),
exercised with a randomly initialised checkpoint of the real architecture in the authors'
checkpoint format: the published weights cannot be downloaded here."""
from __future__ import annotations

import logging
from importlib.resources import files

import numpy as np
import pytest
import soundfile as sf
import torch

from woodshed.separation.beats import beat_this
from woodshed.separation.beats.analyse import analyse_file
from woodshed.separation.beats.beat_this_model.beat_tracker import BeatThis

SMALL = dict(spect_dim=128, transformer_dim=64, ff_mult=2, n_layers=1, head_dim=16, stem_dim=16,
             sum_head=True, partial_transformers=True)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A Lightning-style checkpoint, as the authors publish theirs: hyper-parameters (with some
    the model does not take) and the state dict under 'model.'."""
    torch.manual_seed(0)
    model = BeatThis(**SMALL).eval()
    path = tmp_path_factory.mktemp("beatmodel") / "random0.ckpt"
    torch.save({"hyper_parameters": {**SMALL, "lr": 0.0008, "loss_type": "shift_tolerant_weighted_bce"},
                "state_dict": {f"model.{k}": v for k, v in model.state_dict().items()}}, path)
    return path, model


@pytest.fixture(scope="module")
def demo_mix(tmp_path_factory):
    folder = files("woodshed.resources") / "demo"
    mix = sum(sf.read(str(folder / f"{s}.ogg"), dtype="float32")[0] for s in ("drums", "bass", "piano", "lead"))
    path = tmp_path_factory.mktemp("demo") / "mix.wav"
    sf.write(path, mix, 44100)
    return path


def test_checkpoint_loads_through_the_real_loader_with_every_weight(checkpoint):
    path, original = checkpoint
    loaded = beat_this.load_model(str(path))
    theirs, ours = original.state_dict(), loaded.state_dict()
    assert theirs.keys() == ours.keys()
    assert all(torch.equal(theirs[k], ours[k]) for k in theirs)
    assert not loaded.training


def test_chunked_logits_equal_one_pass_on_a_short_song(checkpoint):
    _, model = checkpoint
    rng = np.random.default_rng(0)
    spect = beat_this.log_mel_spectrogram(rng.normal(0, 0.1, 22050 * 20).astype(np.float32))
    beat, down = beat_this.frame_logits(model, spect)
    border = beat_this.BORDER_FRAMES    # beat_this pads a short piece with its border, then drops it
    with torch.inference_mode():
        whole = model(torch.nn.functional.pad(spect, (0, 0, border, border)).unsqueeze(0))
    assert len(beat) == spect.shape[0]
    np.testing.assert_allclose(beat, whole["beat"][0, border:-border].numpy(), atol=1e-4)
    np.testing.assert_allclose(down, whole["downbeat"][0, border:-border].numpy(), atol=1e-4)


def test_long_song_is_run_in_chunks_covering_every_frame(checkpoint):
    _, model = checkpoint
    spect = beat_this.log_mel_spectrogram(np.random.default_rng(1).normal(0, 0.1, 22050 * 70).astype(np.float32))
    beat, down = beat_this.frame_logits(model, spect)
    assert len(beat) == spect.shape[0] > beat_this.CHUNK_FRAMES * 2
    assert (beat > -1000).all() and (down > -1000).all()


def test_spectrogram_is_the_models_input():
    t = np.arange(22050 * 2) / 22050
    spect = beat_this.log_mel_spectrogram(np.sin(2 * np.pi * 1000 * t).astype(np.float32))
    assert spect.shape == (1 + len(t) // beat_this.HOP, 128)
    centres = beat_this._mel_to_hz(np.linspace(beat_this._hz_to_mel(30), beat_this._hz_to_mel(11000), 130))[1:-1]
    assert abs(centres[int(spect[50].argmax())] - 1000) < 60


def test_peaks_and_bars_from_logits():
    logits = np.full(500, -5.0)
    beats = np.arange(10, 490, 25)
    logits[beats] = 3.0
    logits[beats + 1] = 3.0                         # a flat top: one peak between the two frames
    found = beat_this.pick_peaks(logits)
    np.testing.assert_allclose(found, beats + 0.5)
    per_bar, first = beat_this.bars_from_downbeats(found / 50, found[2::3] / 50)
    assert (per_bar, first) == (3, 2)


def test_the_grid_comes_from_the_model_when_one_is_configured(checkpoint, demo_mix, monkeypatch):
    path, _ = checkpoint
    monkeypatch.setenv(beat_this.MODEL_ENV, str(path))
    analysis = analyse_file(demo_mix)
    assert analysis.tracker == "beat_this:random0" and analysis.tracker_version == "1.1.0"
    assert analysis.duration_s == pytest.approx(28.8, abs=0.05)


@pytest.mark.parametrize("bad", ["missing", "garbage", "not-beat-this"])
def test_an_unusable_model_falls_back_to_the_model_free_tracker(bad, demo_mix, tmp_path, monkeypatch, caplog):
    path = tmp_path / "model.ckpt"
    if bad == "garbage":
        path.write_bytes(b"not a checkpoint")
    elif bad == "not-beat-this":
        torch.save({"state_dict": {"x": torch.zeros(1)}}, path)
    monkeypatch.setenv(beat_this.MODEL_ENV, str(path))
    with caplog.at_level(logging.WARNING):
        analysis = analyse_file(demo_mix)
    assert analysis.tracker == "woodshed-flux" and len(analysis.beats_s) >= 48
    assert "model-free" in caplog.text
