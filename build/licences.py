"""The licence notices a bundle carries, generated from what is in it.

- every Python distribution installed in the build environment (the app's dependencies; not
  the freezer's): its name, version, declared licence and the full text of each licence file
  its metadata lists (``License-File``, ``.dist-info/licenses/``) or that it ships under a
  licence-like name;
- every shared library the freezer took from the operating system (Linux: PortAudio, and
  FFTW and libsamplerate, which our Rubber Band build links): the Debian copyright file of
  the package that owns it;
- libraries built from their source for the bundle (Linux: Rubber Band, build/rubberband.py):
  the licence file of that source;
- our own LICENSE (GPL-3.0-or-later) and SOURCE.txt, GPLv3's source offer.

Used by bundle.py; tests/test_bundle.py checks that no bundled distribution is left
without a licence text.
"""
from __future__ import annotations

import importlib.metadata as metadata
import re
import subprocess
from pathlib import Path

TEXTS = Path(__file__).resolve().parent / "licence-texts"

# Libraries that wheels carry inside them (auditwheel's ``<dist>.libs/``, delocate's
# ``.dylibs/``, ``*_data/``) without their licence text: name prefix -> (component, licence,
# licence-texts/ files). A wheel that starts carrying a library not listed here fails
# tests/test_bundle.py until it is credited.
EMBEDDED = {
    "libavcodec": ("FFmpeg (libavcodec, libavformat, libavutil, libavfilter, libavdevice, "
                   "libswresample, libswscale; built with x264 and x265, so GPL)",
                   "GPL-2.0-or-later (LGPL-2.1-or-later code)", ["GPL-2.0", "LGPL-2.1"]),
    "libavformat": None, "libavutil": None, "libavfilter": None, "libavdevice": None,
    "libswresample": None, "libswscale": None,
    "libx264": ("x264", "GPL-2.0-or-later", ["GPL-2.0"]),
    "libx265": ("x265", "GPL-2.0-or-later", ["GPL-2.0"]),
    "libmp3lame": ("LAME", "LGPL-2.0-or-later", ["LGPL-2.0"]),
    "libgnutls": ("GnuTLS", "LGPL-2.1-or-later", ["LGPL-2.1"]),
    "libnettle": ("Nettle (libnettle, libhogweed)", "LGPL-3.0-or-later OR GPL-2.0-or-later",
                  ["LGPL-3.0", "GPL-2.0"]),
    "libhogweed": None,
    "libgmp": ("GNU MP", "LGPL-3.0-or-later OR GPL-2.0-or-later", ["LGPL-3.0", "GPL-2.0"]),
    "libunistring": ("libunistring", "LGPL-3.0-or-later OR GPL-2.0-or-later", ["LGPL-3.0", "GPL-2.0"]),
    "libasound": ("ALSA library", "LGPL-2.1-or-later", ["LGPL-2.1"]),
    "libopus": ("Opus", "BSD-3-Clause", ["BSD-3-Clause"]),
    "libvpx": ("libvpx", "BSD-3-Clause", ["BSD-3-Clause"]),
    "libdav1d": ("dav1d", "BSD-2-Clause", ["BSD-2-Clause"]),
    "libSvtAv1Enc": ("SVT-AV1", "BSD-3-Clause-Clear", ["BSD-3-Clause"]),
    "libwebp": ("libwebp (libwebp, libwebpmux, libsharpyuv)", "BSD-3-Clause", ["BSD-3-Clause"]),
    "libwebpmux": None, "libsharpyuv": None,
    "libopencore-amrnb": ("OpenCORE AMR (amrnb, amrwb)", "Apache-2.0", ["Apache-2.0"]),
    "libopencore-amrwb": None,
    "libdrm": ("libdrm", "MIT", ["MIT"]),
    "libXau": ("libXau", "MIT", ["MIT"]),
    "libxcb": ("libxcb (and its extensions)", "MIT", ["MIT"]),
    "libvpl": ("Intel VPL dispatcher", "MIT", ["MIT"]),
    # The same libraries as Windows wheels name them (delvewheel: no "lib" prefix).
    "avcodec": ("FFmpeg (avcodec, avformat, avutil, avfilter, avdevice, swresample, swscale)",
                "GPL-2.0-or-later (LGPL-2.1-or-later code)", ["GPL-2.0", "LGPL-2.1"]),
    "avformat": None, "avutil": None, "avfilter": None, "avdevice": None, "swresample": None,
    "swscale": None, "postproc": None,
    "libportaudio": ("PortAudio", "MIT", ["MIT"]),
    "libgcc_s": ("GCC runtime library", "GPL-3.0-or-later WITH GCC-exception-3.1", []),
    "libwinpthread": ("MinGW-w64 winpthreads", "MIT", ["MIT"]),
    "libstdc++": ("GNU C++ library", "GPL-3.0-or-later WITH GCC-exception-3.1", []),
    "msvcp140": ("Microsoft Visual C++ runtime (redistributable files)", "Microsoft Visual C++ "
                 "Redistributable licence", []),
    "vcruntime140": None, "concrt140": None,
    # numpy's own licence file covers OpenBLAS, gfortran and quadmath in its wheels;
    # soundfile's _soundfile_data/COPYING is libsndfile's.
    "libgfortran": "covered", "libquadmath": "covered", "libscipy_openblas": "covered",
    "libsndfile": "covered",
}


def embedded_library_names(dist: metadata.Distribution) -> set[str]:
    """Names (without version and hash) of the shared libraries a wheel carries inside it."""
    names = set()
    for file in dist.files or []:
        path = str(file)
        if re.search(r"\.libs/|\.dylibs/|_data/|/\.dylibs/", path) and re.search(r"\.(so|dll|dylib)", path):
            base = Path(path).name
            names.add(re.split(r"-[0-9a-f]{8}\.|\.so|\.dll|\.dylib|_x86_64|_arm64|\.\d", base)[0])
    return names


def embedded_notices(dist: metadata.Distribution) -> tuple[list[str], list[str]]:
    """(notice blocks with full licence texts, library names not in EMBEDDED)."""
    blocks, unknown = [], []
    for name in sorted(embedded_library_names(dist)):
        entry = next((EMBEDDED[k] for k in sorted(EMBEDDED, key=len, reverse=True)
                      if name.startswith(k)), "unknown")
        if entry == "unknown":
            unknown.append(f"{name} (inside {dist.metadata['Name']})")
        elif isinstance(entry, tuple):
            component, licence, texts = entry
            block = [f"--- {component}, inside {dist.metadata['Name']}: {licence} ---"]
            block += [(TEXTS / f"{t}.txt").read_text(encoding="utf-8").rstrip() + "\n" for t in texts]
            blocks.append("\n".join(block))
    return blocks, unknown


# In the build environment only to build: the freezer and its helpers, packaging tools.
BUILD_ONLY = {"pyinstaller", "pyinstaller-hooks-contrib", "altgraph", "macholib", "pefile",
              "pywin32-ctypes", "pip", "setuptools", "wheel", "pillow", "packaging"}
LICENCE_NAME = re.compile(r"(^|/)(licen[cs]e|copying|notice|authors|copyright)[^/]*$", re.I)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def bundled_distributions(path: list[str] | None = None) -> list[metadata.Distribution]:
    """The distributions installed in ``path`` (default: this interpreter's), minus build tools,
    one per name, sorted."""
    found = {}
    for dist in metadata.distributions(path=path) if path else metadata.distributions():
        name = _norm(dist.metadata["Name"] or "")
        if name and name not in BUILD_ONLY and name not in found:
            found[name] = dist
    return [found[k] for k in sorted(found)]


def licence_files(dist: metadata.Distribution) -> list[tuple[str, str]]:
    """(file name, full text) of each licence file the distribution ships."""
    texts = []
    declared = set(dist.metadata.get_all("License-File") or [])
    for file in dist.files or []:
        name = str(file)
        if name.endswith((".py", ".pyc", ".pyi")):
            continue
        in_licences_folder = ".dist-info/licenses/" in name or ".dist-info/license_files/" in name
        if in_licences_folder or LICENCE_NAME.search(name) or Path(name).name in declared:
            try:
                text = Path(file.locate()).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if text and text.strip():
                texts.append((name, text))
    return texts


def declared_licence(dist: metadata.Distribution) -> str:
    m = dist.metadata
    expression = m.get("License-Expression")
    if expression:
        return expression
    licence = (m.get("License") or "").strip()
    if licence and len(licence) < 100 and "\n" not in licence:
        return licence
    classifiers = [c.split("::")[-1].strip() for c in m.get_all("Classifier") or []
                   if c.startswith("License ::")]
    return ", ".join(classifiers) or "see the licence text"


def system_library_notices(sources: list[str]) -> dict[str, tuple[str, str]]:
    """{library path: (Debian package, copyright text)} for shared libraries taken from the
    system (dpkg knows who owns them); libraries of no package are left out (and listed by
    the caller)."""
    notices = {}
    for path in sources:
        owner = subprocess.run(["dpkg", "-S", str(Path(path).resolve())], capture_output=True, text=True)
        if owner.returncode != 0:
            owner = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
        if owner.returncode != 0:
            continue
        package = owner.stdout.split(":", 1)[0].strip()
        copyright = Path("/usr/share/doc") / package / "copyright"
        if copyright.is_file():
            notices[path] = (package, copyright.read_text(encoding="utf-8", errors="replace"))
    return notices


def write_notices(out_dir: Path, dists: list[metadata.Distribution], system_libs: list[str],
                  project_licence: Path, source_text: str,
                  built: list[list[str]] | None = None) -> list[str]:
    """Write LICENSE, SOURCE.txt and THIRD-PARTY-LICENSES.txt into out_dir; returns the
    names of components left without a licence text (to fail the build on).
    ``built``: [component, licence, licence file] of each library built from its source for
    the bundle (the Linux bundle's Rubber Band: it belongs to no package of the system)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "LICENSE").write_text(project_licence.read_text(encoding="utf-8"), encoding="utf-8")
    (out_dir / "SOURCE.txt").write_text(source_text, encoding="utf-8")
    missing = []
    parts = ["Third-party components in this Woodshed bundle, with their licences in full.\n"
             "Generated by build/licences.py from the build environment's package metadata\n"
             "and, for libraries taken from the operating system, its packages' copyright files.\n"]
    index = []
    bodies = []
    for dist in dists:
        name, version = dist.metadata["Name"], dist.version
        texts = licence_files(dist)
        if _norm(name) == "woodshed":  # our LICENSE is above; code we vendor has its own
            texts = [t for t in texts if ".dist-info/" not in t[0]]
            if not texts:
                continue
        if not texts:
            missing.append(f"{name} {version}")
        index.append(f"  {name} {version}: {declared_licence(dist)}")
        bodies.append("=" * 78 + f"\n{name} {version} ({declared_licence(dist)})\n" + "=" * 78)
        for file_name, text in texts:
            bodies.append(f"--- {file_name} ---\n{text.rstrip()}\n")
        embedded, unknown = embedded_notices(dist)
        bodies.extend(embedded)
        missing.extend(unknown)
    notices = system_library_notices(system_libs)
    for path in system_libs:
        if path not in notices:
            missing.append(path)
    for path, (package, text) in sorted(notices.items()):
        index.append(f"  {Path(path).name} (system library, Debian package {package})")
        bodies.append("=" * 78 + f"\n{Path(path).name}: Debian package {package}\n" + "=" * 78)
        bodies.append(text.rstrip() + "\n")
    for component, licence, text_path in built or []:
        if not Path(text_path).is_file():
            missing.append(component)
            continue
        index.append(f"  {component}: {licence}")
        bodies.append("=" * 78 + f"\n{component} ({licence})\n" + "=" * 78)
        bodies.append(Path(text_path).read_text(encoding="utf-8", errors="replace").rstrip() + "\n")
    text = "\n".join(parts + ["Contents:"] + index + [""] + bodies)
    (out_dir / "THIRD-PARTY-LICENSES.txt").write_text(text, encoding="utf-8")
    return missing


def requirement_closure(root: str = "woodshed") -> list[metadata.Distribution]:
    """``root`` and every distribution it needs, transitively, as installed here (markers
    evaluated for this platform, extras not followed): what a bundle of it carries."""
    from packaging.requirements import Requirement

    seen: dict[str, metadata.Distribution] = {}
    todo = [root]
    while todo:
        name = _norm(todo.pop())
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional dependency not installed: not bundled either
        seen[name] = dist
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return [seen[k] for k in sorted(seen)]
