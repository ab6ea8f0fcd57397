"""Build Rubber Band (GPL-2.0-or-later) from its own source, as the app ships it on this OS.

    python build/rubberband.py SOURCE OUT_DIR [--fft fftw|builtin|vdsp]
                               [--resampler libsamplerate|builtin] [--prefix DIR]

SOURCE is a checkout of Rubber Band at RUBBERBAND_TAG (never committed here); OUT_DIR gets
the library under the name our binding looks for (player/engine/rubberband.py) and its
licence as COPYING-rubberband. One compiler call on Rubber Band's single-file build
(single/RubberBandSingle.cpp) with its configuration set by defines, the same on every OS.

Why these defaults (README "The stretcher", measured with bench_engine.py --builds): the
FFT and the resampler decide what stretching costs, not the binding. Rubber Band's built-in
FFT and resampler (the single-file build's own defaults; Debian's librubberband2 3.1.2 too)
cost ~1.4x what FFTW with libsamplerate costs at 0.5x + 3 st, which is what pylibrb's
library was built with. So Linux and Windows link FFTW (GPL-2.0-or-later) and libsamplerate
(BSD-2-Clause); macOS keeps Apple's Accelerate FFT (vDSP, part of the OS) with the built-in
resampler, as the single-file build does there (not measured here: no Mac).
--prefix: where FFTW's and libsamplerate's headers and libraries are (include/, lib/; on
Windows vcpkg's installed/x64-windows, whose DLLs and licences are then copied beside
rubberband.dll); the system's by default.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

RUBBERBAND_TAG = "v3.3.0"   # the workflows fetch this tag (tests/test_stretcher_workflow.py)
LIBRARY_NAME = {"linux": "librubberband.so.2", "darwin": "librubberband.dylib",
                "win32": "rubberband.dll"}
DEFAULTS = {"linux": ("fftw", "libsamplerate"), "win32": ("fftw", "libsamplerate"),
            "darwin": ("vdsp", "builtin")}
# As Rubber Band's own release builds (meson.build): no timing or thread checks, NDEBUG, and
# its locks on: not NO_THREADING, the single-file build's default, which also turns off the
# lock around FFTW's planner (not thread-safe): our stretchers are made and freed on a helper
# thread while the producer's runs, and without the lock that crashed (tests/test_render.py,
# parameters hammered from another thread, segfault in FFTW's planner).
BASE_DEFINES = ["ALREADY_CONFIGURED", "NO_TIMING", "NO_THREAD_CHECKS", "NDEBUG"]
THREAD_DEFINES = {"linux": ["USE_PTHREADS", "HAVE_POSIX_MEMALIGN"],
                  "darwin": ["USE_PTHREADS", "MALLOC_IS_ALIGNED"],
                  "win32": ["NOMINMAX", "_USE_MATH_DEFINES"]}   # Windows threads: _WIN32
FFT_DEFINES = {"builtin": ["USE_BUILTIN_FFT"], "fftw": ["HAVE_FFTW3", "FFTW_DOUBLE_ONLY"],
               "vdsp": ["HAVE_VDSP"]}
RESAMPLER_DEFINES = {"builtin": ["USE_BQRESAMPLER"], "libsamplerate": ["HAVE_LIBSAMPLERATE"]}
# What each choice links, per compiler: (Unix linker flags, MSVC import libraries)
FFT_LINK = {"builtin": ([], []), "fftw": (["-lfftw3"], ["fftw3.lib"]),
            "vdsp": (["-framework", "Accelerate"], [])}
RESAMPLER_LINK = {"builtin": ([], []), "libsamplerate": (["-lsamplerate"], ["samplerate.lib"])}


class BuildError(Exception):
    """One line saying what is missing."""


def source_version(source: Path) -> str:
    meson = source / "meson.build"
    if not (source / "single" / "RubberBandSingle.cpp").is_file() or not meson.is_file():
        raise BuildError(f"{source} is not Rubber Band's source (no single/RubberBandSingle.cpp): "
                         f"git clone --branch {RUBBERBAND_TAG} "
                         "https://github.com/breakfastquay/rubberband")
    found = re.search(r"version\s*:\s*'([0-9.]+)'", meson.read_text(encoding="utf-8"))
    return found.group(1) if found else "unknown"


def command(source: Path, out: Path, fft: str, resampler: str, prefix: Path | None) -> list[str]:
    defines = (BASE_DEFINES + THREAD_DEFINES[sys.platform] + FFT_DEFINES[fft]
               + RESAMPLER_DEFINES[resampler])
    unit = source / "single" / "RubberBandSingle.cpp"
    if sys.platform == "win32":  # MSVC (a Developer prompt: cl on PATH)
        libs = FFT_LINK[fft][1] + RESAMPLER_LINK[resampler][1]
        return (["cl", "/nologo", "/O2", "/EHsc", "/MD", "/LD"]
                + [f"/D{d}" for d in defines] + [f"/I{source}"]
                + ([f"/I{prefix / 'include'}"] if prefix else [])
                + [str(unit), f"/Fe:{out}", "/link"]
                + ([f"/LIBPATH:{prefix / 'lib'}"] if prefix else []) + libs)
    libs = FFT_LINK[fft][0] + RESAMPLER_LINK[resampler][0]
    if sys.platform == "darwin":
        shape = ["-dynamiclib", f"-Wl,-install_name,@loader_path/{out.name}"]
    else:
        shape = ["-shared", f"-Wl,-soname,{out.name}"]
    return (["c++", "-O3", "-std=c++14", "-fPIC", "-pthread", *shape] + [f"-D{d}" for d in defines]
            + [f"-I{source}"] + ([f"-I{prefix / 'include'}"] if prefix else [])
            + [str(unit), "-o", str(out)] + ([f"-L{prefix / 'lib'}"] if prefix else []) + libs)


def build(source: Path, out_dir: Path, fft: str | None = None, resampler: str | None = None,
          prefix: Path | None = None) -> Path:
    """The library built into out_dir (with COPYING-rubberband); its path."""
    fft = fft or DEFAULTS[sys.platform][0]
    resampler = resampler or DEFAULTS[sys.platform][1]
    version = source_version(source)
    if version != RUBBERBAND_TAG.lstrip("v"):
        raise BuildError(f"Rubber Band's source at {source} is {version}; Woodshed ships "
                         f"{RUBBERBAND_TAG.lstrip('v')} (git checkout {RUBBERBAND_TAG})")
    compiler = "cl" if sys.platform == "win32" else "c++"
    if shutil.which(compiler) is None:
        raise BuildError(f"no C++ compiler ({compiler}) on PATH (Debian/Ubuntu: apt-get install g++)")
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / LIBRARY_NAME[sys.platform]
    cmd = command(source, out, fft, resampler, prefix)
    print("rubberband: $ " + " ".join(cmd), flush=True)
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stdout[-3000:] + done.stderr[-3000:], file=sys.stderr)
        hint = {"fftw": "FFTW (Debian/Ubuntu: libfftw3-dev)",
                "libsamplerate": "libsamplerate (Debian/Ubuntu: libsamplerate0-dev)"}
        needs = [hint[x] for x in (fft, resampler) if x in hint]
        raise BuildError("Rubber Band did not compile (output above)"
                         + (f"; it needs the headers and libraries of {' and '.join(needs)}"
                            if needs else ""))
    if sys.platform == "win32":  # the import library and exports file are not shipped
        for extra in out_dir.glob("rubberband.*"):
            if extra.suffix in (".lib", ".exp"):
                extra.unlink()
        if prefix:
            copy_windows_dependencies(prefix, out_dir, fft, resampler)
    shutil.copy(source / "COPYING", out_dir / "COPYING-rubberband")
    return out


# Windows: the DLLs the library links, and their licences, from vcpkg's tree (--prefix):
# choice -> (DLL in bin/, vcpkg port whose share/PORT/copyright is its licence)
WINDOWS_DLLS = {"fftw": ("fftw3.dll", "fftw3"), "libsamplerate": ("samplerate.dll", "libsamplerate")}


def copy_windows_dependencies(prefix: Path, out_dir: Path, fft: str, resampler: str) -> None:
    """Beside rubberband.dll: Windows finds a DLL's dependencies in its own folder (Python
    loads it by its full path), and the wheel and the app carry them and their licences."""
    for choice in (fft, resampler):
        if choice not in WINDOWS_DLLS:
            continue
        dll, port = WINDOWS_DLLS[choice]
        for needed in (prefix / "bin" / dll, prefix / "share" / port / "copyright"):
            if not needed.is_file():
                raise BuildError(f"{needed} is missing (vcpkg install {port}:x64-windows)")
        shutil.copy(prefix / "bin" / dll, out_dir / dll)
        shutil.copy(prefix / "share" / port / "copyright", out_dir / f"COPYING-{port}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="build/rubberband.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--fft", choices=sorted(FFT_DEFINES))
    parser.add_argument("--resampler", choices=sorted(RESAMPLER_DEFINES))
    parser.add_argument("--prefix", type=Path)
    args = parser.parse_args(argv)
    try:
        built = build(args.source, args.out_dir, args.fft, args.resampler, args.prefix)
    except BuildError as exc:
        print(f"rubberband: error: {exc}", file=sys.stderr)
        return 2
    print(f"rubberband: {built}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
