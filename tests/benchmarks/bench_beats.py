"""Beat trackers on real songs with a known grid, and what analysis costs.

    python tests/benchmarks/bench_beats.py [--songs DIR] [--long-minutes 60] [--skip-cost]

Accuracy: Debian's fretsonfire-songs-sectoid (fetched with `apt-get download`, or --songs
pointing at its sectoid folder): each song's band (song.ogg + guitar.ogg), truth from its
chart (notes.mid tempo map, song.ini delay; tests/chart_truth.py). Per song and tracker:
tempo error, mir_eval's beat F-measure (±70 ms) and AMLt against the chart as it is, and
against the chart moved by the song's measured offset (where its drums' attacks land against
the chart's lines, measured from the audio and the chart alone: chart_truth.drum_offset_s).
Trackers: the model-free one always; Beat This! when WOODSHED_BEAT_MODEL names a checkpoint;
librosa's default tracker when librosa is installed (not a dependency), in the same run.
Cost: analysis of a 4-minute and a --long-minutes song (the demo song repeated), each in a
fresh process: wall time and peak resident memory.
Prints a table, then one JSON line.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from chart_truth import chart_beats, chart_mix, drum_offset_s  # noqa: E402


def fetch_sectoid(where: Path) -> Path | None:
    if not shutil.which("apt-get"):
        return None
    got = subprocess.run(["apt-get", "download", "fretsonfire-songs-sectoid"], cwd=where,
                         capture_output=True, text=True, timeout=600)
    debs = list(where.glob("fretsonfire-songs-sectoid_*.deb"))
    if got.returncode != 0 or not debs:
        return None
    subprocess.run(["dpkg", "-x", str(debs[0]), str(where / "root")], check=True)
    return where / "root/usr/share/games/fretsonfire/data/songs/sectoid"


def model_free(path: Path) -> np.ndarray:
    from woodshed.separation.beats.analyse import analyse_model_free

    return np.array(analyse_model_free(path).beats_s)


def with_beat_this(path: Path) -> np.ndarray:
    from woodshed.separation.beats import beat_this
    from woodshed.separation.beats.analyse import analyse_with_beat_this

    return np.array(analyse_with_beat_this(path, beat_this.configured_model()).beats_s)


def with_librosa(path: Path) -> np.ndarray:
    import librosa

    y, sr = librosa.load(str(path), sr=22050, mono=True)
    _, frames = librosa.beat.beat_track(y=y, sr=sr)
    return librosa.frames_to_time(frames, sr=sr)


def accuracy(songs_dir: Path, work: Path) -> list[dict]:
    import mir_eval

    trackers = {"model-free": model_free}
    from woodshed.separation.beats import beat_this
    if beat_this.configured_model():
        trackers["beat_this"] = with_beat_this
    try:
        import librosa  # noqa: F401
        trackers["librosa"] = with_librosa
    except ImportError:
        pass
    rows = []
    for folder in sorted(p for p in songs_dir.iterdir() if p.is_dir()):
        mono, rate = chart_mix(folder)
        path = work / f"{folder.name}.wav"
        sf.write(path, mono, rate, subtype="FLOAT")
        truth = chart_beats(folder, len(mono) / rate)
        true_bpm = 60 / float(np.median(np.diff(truth)))
        offset_s = drum_offset_s(folder)
        for name, run in trackers.items():
            t0 = time.perf_counter()
            found = run(path)
            took = time.perf_counter() - t0
            ref, est = mir_eval.beat.trim_beats(truth), mir_eval.beat.trim_beats(found)
            moved = mir_eval.beat.trim_beats(truth + offset_s)
            bpm = 60 / float(np.median(np.diff(found))) if len(found) > 1 else 0.0
            rows.append(dict(song=folder.name, tracker=name, true_bpm=round(true_bpm, 2), bpm=round(bpm, 2),
                             tempo_error_pct=round(100 * (bpm - true_bpm) / true_bpm, 2),
                             f_measure=round(float(mir_eval.beat.f_measure(ref, est)), 3),
                             amlt=round(float(mir_eval.beat.continuity(ref, est)[3]), 3),
                             f_moved=round(float(mir_eval.beat.f_measure(moved, est)), 3),
                             amlt_moved=round(float(mir_eval.beat.continuity(moved, est)[3]), 3),
                             seconds=round(took, 2), chart_offset_ms=round(1000 * offset_s, 1)))
    return rows


# Peak memory from the process's own high-water mark (VmHWM, Linux): ru_maxrss carries the
# parent's peak across fork + exec, so it reported this benchmark's own size (songs, librosa)
# instead of the analysis's: 440 MB, then 1.7 GB, for an analysis that peaks near 80 MB.
_COST_SCRIPT = """
import resource, sys, time
from pathlib import Path
from woodshed.separation.beats.analyse import analyse_model_free
t0 = time.perf_counter()
a = analyse_model_free(Path(sys.argv[1]))
took = time.perf_counter() - t0
try:
    peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
except OSError:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(took, peak_kb, len(a.beats_s))
"""


def cost(minutes: float, work: Path) -> dict:
    """Analysis of a song `minutes` long (the demo song repeated), in a fresh process."""
    from importlib.resources import files

    folder = files("woodshed.resources") / "demo"
    mix = sum(sf.read(str(folder / f"{s}.ogg"), dtype="float32")[0] for s in ("drums", "bass", "piano", "lead"))
    mono = mix.mean(axis=1)
    path = work / f"long-{minutes:g}.wav"
    total = int(minutes * 60 * 44100)
    with sf.SoundFile(path, "w", 44100, 1, subtype="PCM_16") as f:
        written = 0
        while written < total:
            piece = mono[:total - written]
            f.write(piece * 0.5)
            written += len(piece)
    out = subprocess.run([sys.executable, "-c", _COST_SCRIPT, str(path)], capture_output=True,
                         text=True, check=True).stdout.split()
    path.unlink()
    return dict(minutes=minutes, seconds=round(float(out[0]), 1), peak_mb=round(int(out[1]) / 1024),
                beats=int(out[2]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=Path, help="the sectoid songs folder (else apt-get download)")
    parser.add_argument("--long-minutes", type=float, default=60)
    parser.add_argument("--skip-cost", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        songs_dir = args.songs or fetch_sectoid(work)
        rows = accuracy(songs_dir, work) if songs_dir else []
        if not songs_dir:
            print("fretsonfire-songs-sectoid cannot be had (apt-get download failed): accuracy skipped")
        print(f"{'song':24s} {'tracker':11s} {'true':>7s} {'found':>7s} {'err %':>6s} {'F':>6s} "
              f"{'AMLt':>6s} {'F mv':>6s} {'AMLt mv':>7s} {'s':>5s} {'drums ms':>8s}")
        for r in rows:
            print(f"{r['song'][:24]:24s} {r['tracker']:11s} {r['true_bpm']:7.2f} {r['bpm']:7.2f} "
                  f"{r['tempo_error_pct']:6.2f} {r['f_measure']:6.3f} {r['amlt']:6.3f} {r['f_moved']:6.3f} "
                  f"{r['amlt_moved']:7.3f} {r['seconds']:5.1f} {r['chart_offset_ms']:8.1f}")
        print("(F mv, AMLt mv: against the chart moved by 'drums ms', where the drums' attacks land "
              "after the chart's lines)")
        means = {}
        for name in sorted({r["tracker"] for r in rows}):
            mine = [r for r in rows if r["tracker"] == name]
            means[name] = dict(f_measure=round(float(np.mean([r["f_measure"] for r in mine])), 3),
                               amlt=round(float(np.mean([r["amlt"] for r in mine])), 3),
                               f_moved=round(float(np.mean([r["f_moved"] for r in mine])), 3),
                               amlt_moved=round(float(np.mean([r["amlt_moved"] for r in mine])), 3),
                               worst_tempo_error_pct=max(abs(r["tempo_error_pct"]) for r in mine))
            print(f"mean {name}: F {means[name]['f_measure']:.3f}  AMLt {means[name]['amlt']:.3f}  "
                  f"(moved: F {means[name]['f_moved']:.3f}  AMLt {means[name]['amlt_moved']:.3f})  "
                  f"worst tempo error {means[name]['worst_tempo_error_pct']:.2f} %")
        costs = [] if args.skip_cost else [cost(4, work), cost(args.long_minutes, work)]
        for c in costs:
            print(f"analysis of a {c['minutes']:g}-minute song: {c['seconds']} s, peak {c['peak_mb']} MB, "
                  f"{c['beats']} beats")
    print(json.dumps(dict(songs=rows, means=means, cost=costs)))


if __name__ == "__main__":
    main()
