"""The downloadable app's build (build/): its workflow for Windows and macOS, parsed and
checked (it cannot run here); the licence notices it generates; its one-line refusals.
The real Linux build is tests/test_bundle_linux.py (slow)."""
from __future__ import annotations

import os
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
WORKFLOW = ROOT / ".github" / "workflows" / "bundle.yml"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"build_{name}", BUILD / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def licences():
    return load("licences")


@pytest.fixture(scope="module")
def bundle():
    return load("bundle")


# --- the workflow ---------------------------------------------------------------------
def test_workflow_builds_and_selftests_the_bundle_on_windows_and_macos():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    job = workflow["jobs"]["bundle"]
    oses = [entry["os"] for entry in job["strategy"]["matrix"]["include"]]
    assert any(o.startswith("windows") for o in oses) and any(o.startswith("macos") for o in oses)
    steps = job["steps"]
    runs = [step.get("run", "") for step in steps]
    uses = [step.get("uses", "") for step in steps]
    python = next(step for step in steps if step.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["python-version"] in ("3.10", "3.11", "3.12")
    install = next(i for i, r in enumerate(runs) if "pip install" in r)
    tests = next(i for i, r in enumerate(runs) if "pytest" in r)
    build = next(i for i, r in enumerate(runs) if "python build/bundle.py" in r)
    selftest = next(i for i, r in enumerate(runs) if "selftest" in r and i > build)
    upload = next(i for i, u in enumerate(uses) if u.startswith("actions/upload-artifact"))
    assert install < tests < build < selftest < upload
    assert "JACK" not in runs[tests]  # the tests it names need no audio server
    for name in runs[tests].split():
        if name.startswith("tests/"):
            assert (ROOT / name).is_file(), name
    assert steps[upload]["with"]["path"].startswith("dist")


def test_workflow_signs_only_with_secrets():
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["bundle"]
    signing = [s for s in job["steps"] if "sign" in s.get("name", "").lower()]
    assert signing and all("!= ''" in s["if"] for s in signing)


# --- licences ---------------------------------------------------------------------------
def test_every_bundled_distribution_has_its_full_licence_text(licences):
    dists = licences.requirement_closure("woodshed")
    names = {licences._norm(d.metadata["Name"]) for d in dists}
    assert {"torch", "demucs", "pyqt6", "pyqt6-qt6", "av", "soundfile", "sounddevice"} <= names
    without = [d.metadata["Name"] for d in dists if not licences.licence_files(d)]
    assert without == []
    unknown = [u for d in dists for u in licences.embedded_notices(d)[1]]
    assert unknown == []  # every library a wheel carries inside it is credited


def test_the_notices_carry_the_texts_the_issue_names(licences, tmp_path):
    dists = licences.requirement_closure("woodshed")
    missing = licences.write_notices(tmp_path, dists, [], ROOT / "LICENSE", "offer")
    assert missing == []
    text = (tmp_path / "THIRD-PARTY-LICENSES.txt").read_text()
    assert (tmp_path / "LICENSE").read_text() == (ROOT / "LICENSE").read_text()
    for name in ("PyQt6 ", "PyQt6-Qt6 ", "torch ", "demucs ", "av ", "soundfile ", "sounddevice "):
        assert f"\n{name}" in text, name
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in text          # Qt, FFmpeg's LGPL parts
    assert "FFmpeg" in text and "x264" in text                   # inside PyAV's wheel
    assert "libsndfile" in text.lower() or "sndfile" in text     # soundfile's COPYING
    assert text.count("GNU GENERAL PUBLIC LICENSE") >= 2          # PyQt6 (GPLv3), x264 (GPLv2)


def test_system_libraries_are_credited_from_their_debian_package(licences):
    import ctypes.util

    if sys.platform != "linux" or not Path("/usr/bin/dpkg").exists():
        pytest.skip("Debian's packages")
    name = ctypes.util.find_library("portaudio")
    path = next((p for p in Path("/usr/lib").rglob(name or "-") if p.exists()), None) if name else None
    if path is None:
        pytest.skip("no system PortAudio here")
    notices = licences.system_library_notices([str(path)])
    package, text = notices[str(path)]
    assert package.startswith("libportaudio") and "PortAudio" in text


def test_the_source_offer_names_the_commit_and_the_source_archive(bundle):
    offer = bundle.source_offer()
    assert "GNU General Public License" in offer and "Written offer" in offer
    assert f"woodshed-{bundle.project_version()}-source.tar.gz" in offer


# --- naming and refusals -------------------------------------------------------------------
def test_a_gpl2_only_component_is_refused_in_one_line(bundle, monkeypatch):
    monkeypatch.setattr(bundle, "installed", lambda python: {"pylibrb": "0.1.2", "torch": "2.13.0"})
    with pytest.raises(bundle.BuildError, match="GPL-2.0-only"):
        bundle.check_environment(Path("python"))
    assert bundle.archive_name().startswith(f"woodshed-{bundle.project_version()}-")


def test_a_cuda_torch_is_refused_in_one_line(bundle, monkeypatch):
    monkeypatch.setattr(bundle, "installed", lambda python: {"torch": "2.13.0", "nvidia-cublas-cu12": "1"})
    with pytest.raises(bundle.BuildError, match="CUDA stack"):
        bundle.check_environment(Path("python"))


def test_an_unsupported_python_is_one_line(bundle, monkeypatch):
    monkeypatch.setattr(bundle.sys, "version_info", (3, 13, 0))
    with pytest.raises(bundle.BuildError, match="python-rtmidi has none for 3.13"):
        bundle.check_host()


def test_bundle_py_refuses_without_a_build_tool_in_one_line(tmp_path):
    # PATH without objdump (binutils): one line, exit 2, nothing built.
    if sys.platform != "linux":
        pytest.skip("the Linux build tools")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("ldd", "dpkg", "git"):
        real = subprocess.run(["which", tool], capture_output=True, text=True).stdout.strip()
        if real:
            (bin_dir / tool).symlink_to(real)
    done = subprocess.run([sys.executable, str(BUILD / "bundle.py"), "--work", str(tmp_path / "w")],
                          env={"PATH": str(bin_dir), "HOME": str(tmp_path)}, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == "bundle: error: missing build tool objdump (Debian/Ubuntu: apt-get install binutils)"
    assert not (tmp_path / "w").exists()


def test_the_executables_differ_in_more_than_case():
    # Windows and macOS file systems ignore case: woodshed.exe and Woodshed.exe would collide.
    import re

    spec = (BUILD / "woodshed.spec").read_text()
    names = re.findall(r'exclude_binaries=True, name="([^"]+)"', spec)
    assert len(names) == 2 and len({n.lower() for n in names}) == 2


def test_install_sh_puts_the_desktop_entry_icon_and_command_in_place_and_takes_them_away(tmp_path):
    import configparser
    import shutil

    if sys.platform != "linux":
        pytest.skip("the Linux install step")
    app = tmp_path / "woodshed-0.1.0-linux-x86_64"  # laid out as bundle.py packs it
    (app / "share").mkdir(parents=True)
    shutil.copy(BUILD / "linux" / "install.sh", app / "install.sh")
    shutil.copy(BUILD / "linux" / "woodshed.desktop", app / "share" / "woodshed.desktop")
    shutil.copy(BUILD / "woodshed.svg", app / "share" / "woodshed.svg")
    (app / "woodshed").write_text("#!/bin/sh\n")
    home = tmp_path / "home"
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(["sh", str(app / "install.sh")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(home / ".local/share/applications/woodshed.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Exec"] == f'"{app}/woodshed" %f'  # songs open from the file manager
    assert desktop["Icon"] == "woodshed" and "audio/mpeg" in desktop["MimeType"]
    assert (home / ".local/share/icons/hicolor/scalable/apps/woodshed.svg").is_file()
    assert (home / ".local/bin/woodshed").resolve() == (app / "woodshed").resolve()
    done = subprocess.run(["sh", str(app / "install.sh"), "--uninstall"], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert not (home / ".local/share/applications/woodshed.desktop").exists()
    assert not (home / ".local/bin/woodshed").exists() and (app / "woodshed").exists()


# --- Rubber Band, built from its source for the bundle (build/rubberband.py) ---------------
@pytest.fixture(scope="module")
def rubberband_build():
    return load("rubberband")


def test_the_library_built_here_and_what_it_links_are_credited(licences, tmp_path):
    # the Linux bundle's Rubber Band belongs to no Debian package: its COPYING is named;
    # FFTW and libsamplerate, which it links, come from the system and are credited by dpkg
    copying = tmp_path / "COPYING-rubberband"
    copying.write_text("GNU GENERAL PUBLIC LICENSE\nVersion 2, June 1991\n(Rubber Band's)")
    built = [["Rubber Band Library 3.3.0 (built from its source)", "GPL-2.0-or-later", str(copying)],
             ["Something built", "MIT", str(tmp_path / "no-such-file")]]
    missing = licences.write_notices(tmp_path / "out", [], [], ROOT / "LICENSE", "offer", built)
    text = (tmp_path / "out" / "THIRD-PARTY-LICENSES.txt").read_text()
    assert "  Rubber Band Library 3.3.0 (built from its source): GPL-2.0-or-later" in text
    assert "(Rubber Band's)" in text
    assert missing == ["Something built"]  # no licence text: the build fails on it
    if sys.platform == "linux" and Path("/usr/bin/dpkg").exists():
        found = [p for p in Path("/usr/lib").rglob("libfftw3.so.3") if p.exists()]
        if found:
            package, text = licences.system_library_notices([str(found[0])])[str(found[0])]
            assert package.startswith("libfftw3") and "GNU General Public License" in text


def test_rubberband_is_built_with_fftw_and_libsamplerate_on_linux_and_windows(rubberband_build,
                                                                                tmp_path):
    for platform in ("linux", "win32"):
        fft, resampler = rubberband_build.DEFAULTS[platform]
        assert (fft, resampler) == ("fftw", "libsamplerate")
    cmd = rubberband_build.command(tmp_path / "src", tmp_path / "out" / "librubberband.so.2",
                                   "fftw", "libsamplerate", None)
    if sys.platform != "win32":
        assert {"-DHAVE_FFTW3", "-DFFTW_DOUBLE_ONLY", "-DHAVE_LIBSAMPLERATE", "-DALREADY_CONFIGURED", "-DUSE_PTHREADS",
                "-lfftw3", "-lsamplerate"} <= set(cmd)
        assert "-DUSE_BUILTIN_FFT" not in cmd and "-DUSE_BQRESAMPLER" not in cmd
        # Rubber Band's lock around FFTW's planner stays on (stretchers are made off-thread)
        assert "-DNO_THREADING" not in cmd
    assert str(tmp_path / "src" / "single" / "RubberBandSingle.cpp") in cmd


def test_rubberband_py_refuses_what_is_not_the_release_in_one_line(tmp_path):
    not_source = tmp_path / "empty"
    not_source.mkdir()
    other = tmp_path / "other"
    (other / "single").mkdir(parents=True)
    (other / "single" / "RubberBandSingle.cpp").write_text("")
    (other / "meson.build").write_text("project('Rubber Band Library', 'c', 'cpp', version: '3.1.2')")
    for source, says in ((not_source, "is not Rubber Band's source"), (other, "is 3.1.2; Woodshed ships")):
        done = subprocess.run([sys.executable, str(BUILD / "rubberband.py"), str(source),
                               str(tmp_path / "out")], capture_output=True, text=True, timeout=60)
        assert done.returncode == 2
        (line,) = done.stderr.strip().splitlines()
        assert line.startswith("rubberband: error: ") and says in line
        assert not (tmp_path / "out").exists()


def test_the_linux_bundle_without_rubber_bands_source_is_one_line(tmp_path):
    if sys.platform != "linux":
        pytest.skip("the Linux bundle")
    env = {k: v for k, v in os.environ.items() if k != "WOODSHED_RUBBERBAND_SOURCE"}
    done = subprocess.run([sys.executable, str(BUILD / "bundle.py"), "--work", str(tmp_path / "w")],
                          env=env, capture_output=True, text=True, timeout=60)
    if "missing" in done.stderr:
        pytest.skip(done.stderr.strip())  # a build tool this machine lacks, said first
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("bundle: error: the Linux bundle builds Rubber Band from its source")
    assert "--rubberband-source" in line and not (tmp_path / "w").exists()


@pytest.mark.slow
def test_rubberband_builds_from_its_source_and_stretches_in_tune(rubberband_build, tmp_path):
    # WOODSHED_RUBBERBAND_SOURCE: a checkout of the release (not in this repository)
    source = os.environ.get("WOODSHED_RUBBERBAND_SOURCE")
    if not source:
        pytest.skip("WOODSHED_RUBBERBAND_SOURCE names no Rubber Band source here")
    built = rubberband_build.build(Path(source), tmp_path / "lib")
    assert "GNU GENERAL PUBLIC LICENSE" in (tmp_path / "lib" / "COPYING-rubberband").read_text()
    if sys.platform == "linux":
        needed = subprocess.run(["objdump", "-p", str(built)], capture_output=True, text=True).stdout
        assert "libfftw3.so.3" in needed and "libsamplerate.so.0" in needed
    env = {**os.environ, "WOODSHED_RUBBERBAND_LIBRARY": str(built)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(ROOT / "tests" / "test_rubberband.py")], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:]
