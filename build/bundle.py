"""Build Woodshed's downloadable app for this OS: `python build/bundle.py`.

From a fresh clone with nothing but Python (3.10 to 3.12: python-rtmidi has no 3.13 wheels
yet): makes its own build environment under build/work/ (git-ignored), installs the CPU
build of torch, Woodshed and its dependencies and the freezer (PyInstaller) into it, freezes
a one-folder app, adds the licence notices, runs `woodshed selftest` inside the frozen app,
and packs it into dist/:

    Linux    woodshed-VERSION-linux-ARCH.tar.gz   (unpack, run ./woodshed; ./install.sh adds
                                                  the menu entry and icon)
    Windows  woodshed-VERSION-windows-ARCH.zip    (Woodshed-app.exe: the window; woodshed.exe: terminal)
    macOS    woodshed-VERSION-macos-ARCH.zip      (Woodshed.app)

plus woodshed-VERSION-source.tar.gz, the corresponding source (GPLv3 section 6).

Options: --work DIR (build environment and intermediate files; default build/work),
--dist DIR (default dist), --keep-env (reuse the environment as it is, for a rebuild),
--rubberband-source DIR (Linux, or WOODSHED_RUBBERBAND_SOURCE: a checkout of Rubber Band at
build/rubberband.py's RUBBERBAND_TAG; the bundle ships Rubber Band built from it with FFTW
and libsamplerate, not the distribution's librubberband2, whose built-in FFT costs ~1.4x as
much: README "The stretcher". On Windows and macOS the workflow builds it into the package.)
WOODSHED_TORCH_INDEX: a pip index to take torch from (Linux: PyPI's torch wheel pulls the
CUDA stack; point this at PyTorch's CPU wheel index, see the README).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))  # build/rubberband.py
TORCH_VERSION = os.environ.get("WOODSHED_TORCH_VERSION", "2.13.0")
PYINSTALLER = "pyinstaller==6.22.3"
SUPPORTED_PYTHON = ((3, 10), (3, 12))
OS_NAMES = {"linux": "linux", "win32": "windows", "darwin": "macos"}
# GPL-2.0-only components cannot ship beside GPL-3.0 PyQt6 (Woodshed's stretcher is its own
# Rubber Band binding since pylibrb was dropped for this reason): refuse, should one return.
GPL2_ONLY = {"pylibrb": "pylibrb is GPL-2.0-only and PyQt6 is GPL-3.0: they cannot be "
             "distributed together"}
GPU_PACKAGES = ("nvidia-", "triton")


class BuildError(Exception):
    """One line saying what is missing or what went wrong."""


def say(text: str) -> None:
    print(f"bundle: {text}", flush=True)


def run(cmd, **kw) -> subprocess.CompletedProcess:
    say("$ " + " ".join(str(c) for c in cmd))
    done = subprocess.run([str(c) for c in cmd], **kw)
    if done.returncode != 0:
        raise BuildError(f"{Path(str(cmd[0])).name} {' '.join(str(c) for c in cmd[1:3])}… "
                         f"failed (exit {done.returncode}); see its output above")
    return done


# --- checks ---------------------------------------------------------------------------
def check_host() -> None:
    if sys.platform not in OS_NAMES:
        raise BuildError(f"cannot build on {sys.platform}: Woodshed bundles are made on Linux, "
                         "Windows or macOS")
    low, high = SUPPORTED_PYTHON
    if not low <= sys.version_info[:2] <= high:
        raise BuildError(f"Python {platform.python_version()} cannot build the bundle: use "
                         f"Python {low[0]}.{low[1]} to {high[0]}.{high[1]} (every dependency has "
                         "wheels there; python-rtmidi has none for 3.13 yet)")
    if sys.platform == "linux":
        for tool, package in (("ldd", "libc-bin"), ("objdump", "binutils"), ("dpkg", "dpkg")):
            if shutil.which(tool) is None:
                raise BuildError(f"missing build tool {tool} (Debian/Ubuntu: apt-get install {package})")
        for lib, package in (("portaudio", "libportaudio2"),):
            if find_system_library(lib) is None:
                raise BuildError(f"missing system library lib{lib} (Debian/Ubuntu: apt-get install {package})")


def rubberband_source(given: Path | None) -> Path:
    """Rubber Band's source for the Linux bundle (--rubberband-source or the environment)."""
    import rubberband

    given = given or (Path(os.environ["WOODSHED_RUBBERBAND_SOURCE"])
                      if os.environ.get("WOODSHED_RUBBERBAND_SOURCE") else None)
    if given is None:
        raise BuildError("the Linux bundle builds Rubber Band from its source: git clone --branch "
                         f"{rubberband.RUBBERBAND_TAG} https://github.com/breakfastquay/rubberband "
                         "and pass --rubberband-source DIR (or WOODSHED_RUBBERBAND_SOURCE)")
    return given


def build_rubberband(source: Path, work: Path) -> Path:
    """Rubber Band built as the app ships it here (build/rubberband.py: FFTW, libsamplerate)."""
    import rubberband

    try:
        return rubberband.build(source, work / "rubberband")
    except rubberband.BuildError as exc:
        raise BuildError(str(exc)) from None


def find_system_library(name: str) -> str | None:
    import ctypes.util

    found = ctypes.util.find_library(name)
    if found is None:
        return None
    if os.path.isabs(found):
        return found
    for folder in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
                   "/usr/lib", "/lib/x86_64-linux-gnu", "/lib"):
        if (Path(folder) / found).exists():
            return str(Path(folder) / found)
    return None


# --- the build environment ------------------------------------------------------------
def venv_python(env_dir: Path) -> Path:
    return env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def make_environment(work: Path, keep: bool) -> Path:
    env_dir = work / "env"
    python = venv_python(env_dir)
    if keep and python.exists():
        say(f"reusing the build environment {env_dir}")
        return python
    if env_dir.exists():
        shutil.rmtree(env_dir)
    run([sys.executable, "-m", "venv", env_dir])
    pip = [python, "-m", "pip", "install", "--disable-pip-version-check"]
    index = os.environ.get("WOODSHED_TORCH_INDEX")
    # torch first and alone, from the CPU index when one is given, so that the app's
    # dependencies below find it there and do not pull a CUDA build.
    run(pip + [f"torch=={TORCH_VERSION}"] + (["--index-url", index] if index else []))
    run(pip + [str(ROOT), PYINSTALLER, "pyinstaller-hooks-contrib"]
        + (["pillow"] if sys.platform in ("win32", "darwin") else []))  # pillow: icon conversion
    return python


def installed(python: Path) -> dict[str, str]:
    out = subprocess.run([python, "-c", "import importlib.metadata as m, json; print(json.dumps("
                          "{d.metadata['Name'].lower(): d.version for d in m.distributions()}))"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def check_environment(python: Path) -> dict[str, str]:
    dists = installed(python)
    gpu = sorted(name for name in dists if name.startswith(GPU_PACKAGES))
    if gpu:
        raise BuildError(f"torch pulled its CUDA stack ({', '.join(gpu[:3])}…): the bundle ships "
                         "CPU torch; set WOODSHED_TORCH_INDEX to PyTorch's CPU wheel index and "
                         "build again")
    for name, why in GPL2_ONLY.items():
        if name in dists:
            raise BuildError(f"{why}; remove {name} from the dependencies")
    if "+cu" in dists.get("torch", ""):
        raise BuildError(f"torch {dists['torch']} is a CUDA build: set WOODSHED_TORCH_INDEX "
                         "to PyTorch's CPU wheel index")
    return dists


# --- freezing ---------------------------------------------------------------------------
def make_icon(python: Path, work: Path) -> Path | None:
    """The SVG icon rendered to a 512 px PNG (PyInstaller converts it for Windows and macOS)."""
    if sys.platform == "linux":
        return None  # the .desktop entry takes the SVG itself
    png = work / "woodshed.png"
    script = ("import sys; from PyQt6.QtGui import QGuiApplication, QImage, QPainter; "
              "from PyQt6.QtSvg import QSvgRenderer; from PyQt6.QtCore import Qt; "
              "app = QGuiApplication(['x', '-platform', 'offscreen']); "
              "img = QImage(512, 512, QImage.Format.Format_ARGB32); img.fill(Qt.GlobalColor.transparent); "
              "p = QPainter(img); QSvgRenderer(sys.argv[1]).render(p); p.end(); img.save(sys.argv[2])")
    run([python, "-c", script, HERE / "woodshed.svg", png])
    return png


def freeze(python: Path, work: Path, rubberband: Path | None) -> tuple[Path, list[str]]:
    """The frozen one-folder app (the .app on macOS) and the system libraries it took
    (on Linux FFTW and libsamplerate among them, which our Rubber Band build links)."""
    libs = []
    if sys.platform == "linux":
        libs = [find_system_library("portaudio")]
        if rubberband:
            libs.append(str(rubberband))  # our ctypes binding loads it (build/rthook_libraries.py)
    icon = make_icon(python, work)
    manifest = work / "binaries.json"
    env = {**os.environ, "WOODSHED_BUNDLE_LIBS": os.pathsep.join(libs),
           "WOODSHED_BUNDLE_ICON": str(icon or ""), "WOODSHED_BUNDLE_MANIFEST": str(manifest),
           "WOODSHED_VERSION": project_version()}
    run([python, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", work / "frozen", "--workpath", work / "pyinstaller",
         HERE / "woodshed.spec"], env=env)
    app = work / "frozen" / ("Woodshed.app" if sys.platform == "darwin" else "woodshed")
    taken = json.loads(manifest.read_text()) if manifest.exists() else []
    system = [src for src in taken if src.startswith(("/usr/", "/lib"))]
    return app, system


def project_version() -> str:
    import re

    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    return re.search(r'^version\s*=\s*"([^"]+)"', text, re.M).group(1)


def add_notices(app: Path, python: Path, system_libs: list[str], work: Path,
                built: list[list[str]] | None = None) -> Path:
    """LICENSE, SOURCE.txt and THIRD-PARTY-LICENSES.txt beside the app's executable.
    ``built``: [component, licence, licence file] of libraries built here (Rubber Band)."""
    where = app / "Contents" / "Resources" if sys.platform == "darwin" else app
    script = ("import json, sys; sys.path.insert(0, sys.argv[1]); import licences; from pathlib import Path; "
              "missing = licences.write_notices(Path(sys.argv[2]), licences.requirement_closure('woodshed'), "
              "json.loads(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5]).read_text(), "
              "json.loads(sys.argv[6])); print(json.dumps(missing))")
    source_text = work / "SOURCE.txt"
    source_text.write_text(source_offer(), encoding="utf-8")
    out = run([python, "-c", script, HERE, where, json.dumps(system_libs), ROOT / "LICENSE",
               source_text, json.dumps(built or [])], capture_output=True, text=True).stdout
    missing = json.loads(out.strip().splitlines()[-1])
    if missing:
        raise BuildError(f"no licence text found for {', '.join(missing)}: add it before shipping")
    return where


def source_offer() -> str:
    version = project_version()
    commit = git(["rev-parse", "HEAD"]) or "unknown"
    return f"""Woodshed {version} — corresponding source (GNU GPL version 3, section 6)

Woodshed is free software under the GNU General Public License, version 3 or (at your
option) any later version: see LICENSE. This program was built from Woodshed commit
{commit}.

The complete corresponding source of this build is published beside this download as
woodshed-{version}-source.tar.gz (the same commit, with build/bundle.py, the script that
built it). The bundled third-party components are unmodified releases: their names and
versions are in THIRD-PARTY-LICENSES.txt, and their sources are the release archives of
those versions on the Python Package Index (pip download --no-binary :all: NAME==VERSION)
or, for libraries of the operating system, the Debian source packages named there; Rubber
Band is its release {rubberband_tag()} (https://github.com/breakfastquay/rubberband), built
by build/rubberband.py.

Written offer: for three years after you received this program, or for as long as we offer
spare parts or support for it, whichever is longer, anyone who has it may ask the Woodshed
maintainers (through the project's issue tracker, where this download came from) for a
copy of that corresponding source on a medium customarily used for software interchange,
for no more than the cost of physically performing the distribution.
"""


def rubberband_tag() -> str:
    import rubberband

    return rubberband.RUBBERBAND_TAG


def git(args: list[str]) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


# --- the Linux extras, checking, packing -------------------------------------------------
def add_linux_desktop_files(app: Path) -> None:
    share = app / "share"
    share.mkdir(exist_ok=True)
    shutil.copy(HERE / "linux" / "woodshed.desktop", share / "woodshed.desktop")
    shutil.copy(HERE / "woodshed.svg", share / "woodshed.svg")
    shutil.copy(HERE / "linux" / "install.sh", app / "install.sh")
    os.chmod(app / "install.sh", 0o755)


def app_executable(app: Path) -> Path:
    if sys.platform == "darwin":
        return app / "Contents" / "MacOS" / "woodshed"
    return app / ("woodshed.exe" if sys.platform == "win32" else "woodshed")


def clean_env() -> dict[str, str]:
    """The environment without any Python: the frozen app must not lean on one."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "VIRTUAL_ENV", "CONDA")) and k != "LD_LIBRARY_PATH"}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and not (Path(p) / ("python.exe" if sys.platform == "win32" else "python3")).exists())
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def selftest(app: Path) -> None:
    run([app_executable(app), "selftest"], env=clean_env(), timeout=600)


def archive_name() -> str:
    machine = platform.machine().lower().replace("amd64", "x86_64").replace("aarch64", "arm64")
    return f"woodshed-{project_version()}-{OS_NAMES[sys.platform]}-{machine}"


def pack(app: Path, dist: Path, name: str) -> Path:
    dist.mkdir(parents=True, exist_ok=True)
    if sys.platform == "linux":
        out = dist / f"{name}.tar.gz"
        with tarfile.open(out, "w:gz", compresslevel=6) as tar:
            tar.add(app, arcname=name)
        return out
    out = dist / f"{name}.zip"
    if sys.platform == "darwin" and shutil.which("ditto"):  # keeps the .app's symlinks and signatures
        run(["ditto", "-c", "-k", "--keepParent", app, out])
        return out
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for path in sorted(app.rglob("*")):
            z.write(path, Path(name) / path.relative_to(app))
    return out


def pack_source(dist: Path) -> Path | None:
    out = dist / f"woodshed-{project_version()}-source.tar.gz"
    if git(["rev-parse", "HEAD"]) is None:
        return None
    run(["git", "-C", ROOT, "archive", "--format=tar.gz", f"--prefix=woodshed-{project_version()}/",
         "-o", out, "HEAD"])
    return out


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="build/bundle.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--keep-env", action="store_true")
    parser.add_argument("--rubberband-source", type=Path,
                        help="Linux: Rubber Band's source, built into the bundle")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        check_host()
        source = rubberband_source(args.rubberband_source) if sys.platform == "linux" else None
        args.work.mkdir(parents=True, exist_ok=True)
        rubberband = build_rubberband(source, args.work) if source else None
        python = make_environment(args.work, args.keep_env)
        check_environment(python)
        name = archive_name()
        app, system_libs = freeze(python, args.work, rubberband)
        built = ([[f"Rubber Band Library {rubberband_tag().lstrip('v')} (built from its source "
                   "by build/rubberband.py)", "GPL-2.0-or-later", str(rubberband.parent / "COPYING-rubberband")]]
                 if rubberband else [])
        add_notices(app, python, system_libs, args.work, built)
        if sys.platform == "linux":
            add_linux_desktop_files(app)
        selftest(app)
        archive = pack(app, args.dist, name)
        source_archive = pack_source(args.dist)
    except BuildError as exc:
        print(f"bundle: error: {exc}", file=sys.stderr)
        return 2
    say(f"{archive} ({archive.stat().st_size / 1e6:.0f} MB; {folder_bytes(app) / 1e6:.0f} MB "
        f"unpacked) in {time.monotonic() - started:.0f} s")
    if source_archive:
        say(f"{source_archive} (the corresponding source)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
