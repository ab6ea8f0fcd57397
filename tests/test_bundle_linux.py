"""The Linux bundle, for real (slow: builds for ~15-25 minutes on 2 busy cores; run with
`WOODSHED_RUBBERBAND_SOURCE=DIR python -m pytest -m slow tests/test_bundle_linux.py -s`, DIR a
checkout of Rubber Band's release, which the bundle builds). WOODSHED_BUNDLE_ARCHIVE=PATH
tests an archive built before instead of building one.

Unpacked into an empty folder and run with no Python and no virtual environment on PATH:
`selftest` passes; the window opens on the demo under Xvfb and plays (a person's Space key,
sent by xdotool) to the ALSA capture device that feeds the JACK dummy server; `separate` of a
short song with a local model folder works. Prints sizes and start times (README "Download").
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest

from songs import music, write

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    given = os.environ.get("WOODSHED_BUNDLE_ARCHIVE")
    if given:
        return Path(given)
    if sys.platform != "linux":
        pytest.skip("the Linux bundle")
    if not os.environ.get("WOODSHED_RUBBERBAND_SOURCE"):  # bundle.py builds it (README "Download")
        pytest.skip("WOODSHED_RUBBERBAND_SOURCE names no checkout of Rubber Band's release")
    clone = tmp_path_factory.mktemp("clone") / "woodshed"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    started = time.monotonic()
    subprocess.run(["nice", "-n", "15", sys.executable, "build/bundle.py"], cwd=clone, check=True,
                   timeout=3 * 3600)
    print(f"\nbuild: {time.monotonic() - started:.0f} s")
    (built,) = [p for p in (clone / "dist").glob("woodshed-*-linux-*.tar.gz")]
    return built


@pytest.fixture(scope="module")
def app(archive, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("unpacked")
    assert not any(folder.iterdir())
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="tar")
    (top,) = list(folder.iterdir())
    print(f"\nsize: {archive.stat().st_size / 1e6:.0f} MB compressed, "
          f"{sum(p.stat().st_size for p in top.rglob('*') if p.is_file() and not p.is_symlink()) / 1e6:.0f} MB on disk")
    return top


def bare_env(tmp_path: Path, **extra) -> dict[str, str]:
    """No Python, no venv: PATH holds an empty folder; HOME and the caches are fresh."""
    empty = tmp_path / "empty-bin"
    empty.mkdir(exist_ok=True)
    env = {"PATH": str(empty), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8",
           "WOODSHED_CACHE_DIR": str(tmp_path / "cache"), "WOODSHED_DATA_DIR": str(tmp_path / "data"),
           "WOODSHED_MODELS_DIR": str(tmp_path / "models")}
    for key in ("JACK_DEFAULT_SERVER", "ALSA_CONFIG_PATH"):
        if key in os.environ:
            env[key] = os.environ[key]
    env.update(extra)
    return env


def test_nothing_of_the_build_machine_is_needed(app):
    assert (app / "woodshed").is_file() and os.access(app / "woodshed", os.X_OK)
    for notice in ("LICENSE", "SOURCE.txt", "THIRD-PARTY-LICENSES.txt", "install.sh",
                   "share/woodshed.desktop", "share/woodshed.svg"):
        assert (app / notice).is_file(), notice
    names = {p.name for p in app.rglob("*")}
    assert not any(n.startswith(("libcuda", "libcudnn", "libnccl", "libtriton")) for n in names)
    assert not any("torchaudio" in n for n in names)
    assert not list(app.rglob("tests/test_*.py"))


def test_the_stretcher_is_rubber_band_built_with_fftw_and_libsamplerate(app):
    # the cheap build (README "Which build each OS ships"), with what it links, credited
    (ours,) = list(app.rglob("librubberband.so*"))
    needed = subprocess.run(["objdump", "-p", str(ours)], capture_output=True, text=True).stdout
    assert "NEEDED               libfftw3.so.3" in needed and "libsamplerate.so.0" in needed
    names = {p.name for p in app.rglob("*")}
    assert "libfftw3.so.3" in names and "libsamplerate.so.0" in names
    notices = (app / "THIRD-PARTY-LICENSES.txt").read_text()
    assert "Rubber Band Library 3.3.0 (built from its source" in notices
    assert "Debian package libfftw3-double3" in notices and "Debian package libsamplerate0" in notices
    assert "librubberband2" not in notices  # not the distribution's any more


def test_selftest_passes_without_python(app, tmp_path):
    done = subprocess.run([str(app / "woodshed"), "selftest"], env=bare_env(tmp_path),
                          capture_output=True, text=True, timeout=600)
    print(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 of 6 checks passed" in done.stdout


def test_separate_with_a_local_model_folder(app, tmp_path, model_repo):
    song = write(tmp_path / "short.wav", music(4.0))
    done = subprocess.run([str(app / "woodshed"), "separate", str(song), "--model", "test6s",
                           "--model-repo", str(model_repo)], env=bare_env(tmp_path),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    folder = Path(done.stdout.strip().splitlines()[-1])
    manifest = json.loads((folder / "manifest.json").read_text())
    assert all(manifest["blocks_done"]) and len(manifest["sources"]) == 6
    assert (folder / "guitar.wav").stat().st_size > 4 * 44100 * 2 * 4


def test_export_import_and_devices_work_from_the_bundle(app, tmp_path, model_repo, jack_server):
    import soundfile as sf

    env = bare_env(tmp_path)
    song = write(tmp_path / "short.wav", music(3.0))
    woodshed = str(app / "woodshed")
    separated = subprocess.run([woodshed, "separate", str(song), "--model", "test4s", "--model-repo",
                                str(model_repo)], env=env, capture_output=True, text=True, timeout=600)
    assert separated.returncode == 0, separated.stderr
    folder = separated.stdout.strip().splitlines()[-1]
    # export through the stretcher (Rubber Band inside the bundle), slowed and transposed
    out = tmp_path / "backing.flac"
    exported = subprocess.run([woodshed, "export", folder, "-o", str(out), "--without", "vocals",
                               "--tempo", "0.8", "--pitch", "-2"], env=env, capture_output=True,
                              text=True, timeout=600)
    assert exported.returncode == 0, exported.stderr
    audio, rate = sf.read(out)
    assert abs(len(audio) / rate - 3.0 / 0.8) < 0.1 and abs(audio).max() > 0.01
    # import: a folder of stems becomes a cached song
    stems = tmp_path / "My Song"
    stems.mkdir()
    for name in ("Drums.wav", "Bass.wav"):
        write(stems / name, music(2.0))
    imported = subprocess.run([woodshed, "import", str(stems)], env=env, capture_output=True,
                              text=True, timeout=300)
    assert imported.returncode == 0, imported.stderr
    # devices: the JACK dummy server's output, through the bundle's PortAudio
    devices = subprocess.run([woodshed, "devices"], env=env, capture_output=True, text=True, timeout=60)
    assert devices.returncode == 0 and "system" in devices.stdout, devices.stdout + devices.stderr


def wait_for_window(env, title: str, timeout_s: float) -> str | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = subprocess.run(["xdotool", "search", "--name", title], env=env, capture_output=True, text=True)
        if found.stdout.strip():
            return found.stdout.split()[0]
        time.sleep(0.1)
    return None


@pytest.fixture
def xvfb(tmp_path):
    if shutil.which("Xvfb") is None or shutil.which("xdotool") is None:
        pytest.skip("Xvfb and xdotool needed (apt-get install xvfb xdotool)")
    display = f":{90 + os.getpid() % 50}"
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    yield display
    server.terminate()
    server.wait(10)


def test_the_window_opens_on_the_demo_and_plays(app, tmp_path, xvfb, alsa_capture):
    tools = {"DISPLAY": xvfb, "XDG_RUNTIME_DIR": str(tmp_path)}
    starts = []
    for attempt in range(3):  # the first start reads the bundle from disk; the next ones from memory
        env = bare_env(tmp_path, **tools)
        started = time.monotonic()
        window_app = subprocess.Popen([str(app / "woodshed"), "demo", "--device", "woodshed_capture"],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        xenv = {**os.environ, "DISPLAY": xvfb}
        window = wait_for_window(xenv, "Woodshed Groove", 120)
        starts.append(time.monotonic() - started)
        try:
            assert window is not None, window_app.stderr.read() if window_app.poll() is not None else "no window"
            if attempt == 0:
                before = alsa_capture.frames_written()
                time.sleep(1.0)
                # No window manager under Xvfb: focus the window directly, then press Space.
                subprocess.run(["xdotool", "windowfocus", window], env=xenv, check=True, timeout=30)
                time.sleep(0.3)
                subprocess.run(["xdotool", "key", "space"], env=xenv, check=True, timeout=30)
                deadline = time.monotonic() + 30
                while alsa_capture.frames_written() < before + 2 * 44100 and time.monotonic() < deadline:
                    time.sleep(0.2)
                audio, _ = alsa_capture.read()
                assert np.abs(audio[:, -44100:]).max() > 0.01  # the demo, not silence
        finally:
            subprocess.run(["xdotool", "key", "--window", window or "0", "ctrl+q"], env=xenv, timeout=30)
            try:
                window_app.wait(20)
            except subprocess.TimeoutExpired:
                window_app.kill()
                window_app.wait()
    print(f"\nstart to the window: first {starts[0]:.1f} s, then {', '.join(f'{s:.1f}' for s in starts[1:])} s")
