"""`woodshed selftest`: checks, offline and in seconds, everything an installation needs.

One line per check ("ok" or "FAIL", what was checked, how long it took); exit status 1 if
any check failed. Bundles are smoke-tested with it (build/bundle.py, the CI workflow), and a
musician can run it to see what is wrong. Nothing is written outside a temporary folder.
"""
from __future__ import annotations

import logging
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

SAMPLE_RATE = 44100
TINY_MODEL_NAME = "selftest6s"


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("selftest", help="check that this installation works (offline, seconds)",
                              description="Check decoding, the separation model loader, the "
                              "render path (stretch, resample), the audio devices and the window "
                              "toolkit, offline. One line per check; exit status 1 if any failed.")
    p.add_argument("--verbose", action="store_true", help="also print each failure's traceback")
    p.set_defaults(func=run_selftest)


def _tone(seconds: float = 1.0) -> np.ndarray:
    """(frames, 2) float32: an A and an E, a little apart in the two channels."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return np.stack([0.3 * np.sin(2 * np.pi * 440 * t), 0.3 * np.sin(2 * np.pi * 659.3 * t)],
                    axis=1).astype(np.float32)


def check_decoding(work: Path) -> str:
    """libsndfile writes WAV and MP3; FFmpeg (PyAV) decodes the MP3 back, as for a song."""
    import av
    import soundfile as sf

    from woodshed.separation import audio_file

    tone = _tone()
    wav, mp3 = work / "tone.wav", work / "tone.mp3"
    sf.write(wav, tone, SAMPLE_RATE)
    sf.write(mp3, tone, SAMPLE_RATE)
    back = np.concatenate(list(audio_file._av_chunks(mp3, 4096)), axis=1)
    if back.shape[0] != 2 or back.shape[1] < SAMPLE_RATE // 2 or not np.abs(back).max() > 0.1:
        raise RuntimeError(f"FFmpeg decoded {back.shape} from a 1 s stereo MP3")
    blocks = list(audio_file.read_blocks(wav, 48000, 2))  # with resampling, as separation does
    frames = sum(b.shape[1] for b in blocks)
    if frames != 48000:
        raise RuntimeError(f"1 s of WAV resampled to 48 kHz gave {frames} frames")
    return f"WAV and MP3 via libsndfile {sf.__libsndfile_version__}, MP3 via FFmpeg (PyAV {av.__version__})"


def check_model(work: Path) -> str:
    """A tiny model saved and loaded back through demucs' own loader, then run."""
    import torch
    from demucs.apply import apply_model

    from woodshed.separation.model import load_model
    from woodshed.separation.tiny_model import SIX_STEMS, save_model, tiny_htdemucs

    repo = work / "models"
    repo.mkdir()
    save_model(tiny_htdemucs(SIX_STEMS, seed=0), repo / f"{TINY_MODEL_NAME}.th")
    model = load_model(TINY_MODEL_NAME, repo)
    mix = torch.from_numpy(_tone().T.copy())[None]
    with torch.inference_mode():
        out = apply_model(model, mix, split=True, overlap=0.25, device="cpu")
    if tuple(out.shape) != (1, len(SIX_STEMS), 2, SAMPLE_RATE) or not torch.isfinite(out).all():
        raise RuntimeError(f"the model gave {tuple(out.shape)}")
    return f"demucs loader and a tiny {len(SIX_STEMS)}-stem model on torch {torch.__version__} (CPU)"


def check_stretcher(work: Path) -> str:
    """Rubber Band loads (tempo and pitch need it; 1.0x plays without it)."""
    from woodshed.player.engine import rubberband

    rubberband.check_available()
    stretcher = rubberband.RubberBand(SAMPLE_RATE, 2, rubberband.PROCESS_REALTIME
                                      | rubberband.ENGINE_FINER, 1024, 4096)
    return f"Rubber Band (engine R{stretcher.engine_version}) for tempo and pitch"


def check_render(work: Path) -> str:
    """The demo song through the playback renderer, slowed, transposed and resampled."""
    from woodshed.player.engine.controls import Controls
    from woodshed.player.engine.render import Renderer
    from woodshed.player.ui.demo_song import import_demo

    from woodshed.player.engine.rubberband import RubberBandMissing

    song = import_demo(root=work / "cache")
    controls = Controls.for_song(song)
    try:
        controls.set_tempo(0.8)
        controls.set_pitch(2.0)
    except RubberBandMissing:  # the stretcher check says so; 1.0x must play without it
        pass
    out_rate = 48000 if song.manifest.sample_rate != 48000 else 44100
    renderer = Renderer(song, controls, out_rate=out_rate)
    audio = np.concatenate([renderer.render(4096) for _ in range(40)], axis=1)
    if not np.isfinite(audio).all() or not np.abs(audio[:, -out_rate // 2:]).max() > 1e-3:
        raise RuntimeError("the renderer gave silence or non-finite samples")
    if controls.tempo == 1.0:
        return (f"demo song at 1.0x (no stretcher), {song.manifest.sample_rate} -> {out_rate} Hz "
                f"({audio.shape[1] / out_rate:.1f} s rendered)")
    if not renderer.stretching:
        raise RuntimeError("tempo 0.8 did not reach the stretcher")
    return (f"demo song at 0.8x, +2 semitones, {song.manifest.sample_rate} -> {out_rate} Hz "
            f"({audio.shape[1] / out_rate:.1f} s rendered)")


def check_devices(work: Path) -> str:
    """PortAudio loads and lists output devices; none is reported, not failed."""
    from woodshed.player.engine.output import _sd

    sd = _sd()
    outputs = [d for d in sd.query_devices() if d["max_output_channels"] > 0]
    if not outputs:
        version = sd.get_portaudio_version()[1].split(",")[0]
        return (f"{version}: no audio output device here "
                "(not a failure: songs open, export works; plug in a device to hear them)")
    names = ", ".join(d["name"] for d in outputs[:3]) + (" …" if len(outputs) > 3 else "")
    return f"PortAudio: {len(outputs)} output device{'s' * (len(outputs) != 1)} ({names})"


def check_window(work: Path) -> str:
    """Qt starts (offscreen, so no display is needed) and draws a waveform plot."""
    from PyQt6.QtCore import QT_VERSION_STR
    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["woodshed", "-platform", "offscreen"])
    import pyqtgraph as pg

    plot = pg.PlotWidget()
    plot.plot(_tone(0.05)[:, 0])
    plot.resize(320, 120)
    plot.show()
    app.processEvents()
    image = plot.grab().toImage()
    plot.close()
    plot.deleteLater()
    app.processEvents()
    if image.isNull() or image.width() < 100:
        raise RuntimeError("Qt could not draw a widget")
    return f"Qt {QT_VERSION_STR} ({app.platformName()}), pyqtgraph {pg.__version__}"


CHECKS = [
    ("decoding", check_decoding),
    ("model", check_model),
    ("stretcher", check_stretcher),
    ("render", check_render),
    ("devices", check_devices),
    ("window", check_window),
]


def run_checks(out=None, verbose: bool = False) -> int:
    """Run every check, print one line each; the number that failed."""
    out = out or sys.stdout
    failed = 0
    with tempfile.TemporaryDirectory(prefix="woodshed-selftest-") as tmp:
        for name, check in CHECKS:
            work = Path(tmp) / name
            work.mkdir()
            started = time.monotonic()
            try:
                detail, status = check(work), "ok  "
            except Exception as exc:  # every failure is one line; the trace goes to the log
                log.debug("selftest %s failed", name, exc_info=True)
                if verbose:
                    traceback.print_exc(file=sys.stderr)
                detail, status = f"{type(exc).__name__}: {exc}", "FAIL"
                failed += 1
            print(f"{status}  {name:<9} {detail}  ({time.monotonic() - started:.2f} s)",
                  file=out, flush=True)
    print(f"selftest: {len(CHECKS) - failed} of {len(CHECKS)} checks passed", file=out)
    return failed


def run_selftest(args) -> int:
    return 1 if run_checks(verbose=args.verbose) else 0
