"""The window's start: seconds from launching `woodshed` until its window is on screen, and
until the demo song is shown in it (`woodshed demo`), under a private Xvfb display.

    python tests/benchmarks/bench_start.py [--runs 7]

Each run is a new process (the installed `woodshed` command next to this Python), found on
screen by its title with xdotool, polled every 20 ms. The first run of a series is the
coolest the machine allows (a truly cold start, nothing in the OS's file cache, would mean
dropping the caches of a machine others share); the rest are warm starts. Also: the wall time
of importing what `woodshed` needs to show its window (its command line, the window's
modules), in a fresh interpreter (median of the runs), and which
heavy modules that import pulls in (torch must not: it belongs to the separation process).
Prints a table, then one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ["torch", "demucs", "av", "soxr", "sounddevice", "rtmixer", "scipy", "mido"]


def woodshed_command() -> list[str]:
    script = Path(sys.executable).with_name("woodshed")
    return [str(script)] if script.exists() else [sys.executable, "-m", "woodshed.player"]


def window_on_screen(env: dict, title: str, process, timeout_s: float = 120) -> float | None:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout_s and process.poll() is None:
        found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title], env=env,
                               capture_output=True, text=True)
        if found.stdout.strip():
            return time.perf_counter()
        time.sleep(0.02)
    return None


def one_start(env: dict, argv: list[str], title: str) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(woodshed_command() + argv, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        shown = window_on_screen(env, title, process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if shown is None:
        raise RuntimeError(f"no window titled {title!r} appeared")
    return shown - started


def import_cost(env: dict) -> tuple[float, list[str]]:
    code = ("import time, sys; t = time.perf_counter(); "
            "from woodshed.player.cli.main import build_parser; build_parser(); "
            "import woodshed.player.ui.app, woodshed.player.ui.main_window; "
            "print(time.perf_counter() - t); "
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    return float(out[0]), out[1].split() if len(out) > 1 else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if shutil.which("Xvfb") is None or shutil.which("xdotool") is None:
        sys.exit("needs Xvfb and xdotool (apt-get install xvfb xdotool)")
    folder = Path(tempfile.mkdtemp(prefix="bench-start-"))
    display = f":{200 + os.getpid() % 300}"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1600x900x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
           "WOODSHED_DATA_DIR": str(folder / "data"), "WOODSHED_CACHE_DIR": str(folder / "cache"),
           "XDG_RUNTIME_DIR": str(folder)}
    try:
        window = [one_start(env, [], "Woodshed") for _ in range(args.runs)]
        demo = [one_start(env, ["demo"], "Woodshed Groove") for _ in range(args.runs)]
        imports = [import_cost(env) for _ in range(args.runs)]
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    heavy = imports[0][1]
    result = {
        "window_first_s": window[0], "window_warm_s_median": statistics.median(window[1:]),
        "demo_first_s": demo[0], "demo_warm_s_median": statistics.median(demo[1:]),
        "window_s_all": [round(s, 3) for s in window], "demo_s_all": [round(s, 3) for s in demo],
        "imports_s_median": statistics.median(s for s, _ in imports), "heavy_modules_imported": heavy}
    print(f"{'start (runs: ' + str(args.runs) + ')':40} {'first':>8} {'warm median':>12}")
    print(f"{'woodshed: to the window':40} {window[0]:7.2f}s {result['window_warm_s_median']:11.2f}s")
    print(f"{'woodshed demo: to the demo shown':40} {demo[0]:7.2f}s {result['demo_warm_s_median']:11.2f}s")
    print(f"{'importing the window (fresh interpreter)':40} {'':8} {result['imports_s_median']:11.3f}s")
    print(f"{'heavy modules that import pulls in':40} {' '.join(heavy) or 'none'}")
    print(json.dumps({"benchmark": "start", **result}))


if __name__ == "__main__":
    main()
