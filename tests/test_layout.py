"""The installed layout: one `woodshed` namespace, every package folder listed, a licence file,
and build/ left to our own packaging scripts."""
from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT_FOLDERS = {"player": "woodshed.player", "separation": "woodshed.separation",
                   "resources": "woodshed.resources"}


def _setuptools_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_folder_on_disk_is_listed_under_the_woodshed_namespace():
    setup = _setuptools_config()
    on_disk = set()
    for folder, package in PROJECT_FOLDERS.items():
        assert setup["package-dir"][package] == folder
        for init in (ROOT / folder).rglob("__init__.py"):
            on_disk.add(".".join([package, *init.parent.relative_to(ROOT / folder).parts]))
    assert on_disk == set(setup["packages"])


def test_the_installed_woodshed_exposes_no_top_level_player_or_separation(tmp_path):
    script = ("import importlib.util as u, woodshed.player.cli.main, woodshed.separation.cache; "
              "print(u.find_spec('player'), u.find_spec('separation'))")
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["None", "None"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> tuple[Path, Path]:
    """A wheel built from a copy of the checkout's files (those git does not ignore): (wheel, the copy,
    what build/ held before)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, check=True
                           ).stdout.decode().split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():  # a file deleted in the work tree but not yet in git
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_bytes((ROOT / name).read_bytes())
    # A stale module in build/ (as an old layout's `pip install .` left in build/lib) must
    # not reach the wheel.
    (source / "build" / "lib" / "player").mkdir(parents=True)
    (source / "build" / "lib" / "player" / "stale.py").write_text("")
    ours = sorted(p.relative_to(source) for p in (source / "build").rglob("*"))
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                             str(tmp / "dist"), str(source)], capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    (built,) = (tmp / "dist").glob("woodshed-*.whl")
    return built, source, ours


def test_the_wheel_installs_one_woodshed_package_with_its_licence_and_demo(wheel):
    built, _, _ = wheel
    names = zipfile.ZipFile(built).namelist()
    assert {n.split("/")[0] for n in names} == {"woodshed", built.name.split("-py")[0] + ".dist-info"}
    assert not any(n.endswith("stale.py") for n in names)
    assert "woodshed/player/cli/main.py" in names and "woodshed/player/engine/engine.py" in names
    assert {f"woodshed/resources/demo/{s}.ogg" for s in ("drums", "bass", "piano", "lead")} <= set(names)
    licence = [n for n in names if n.endswith("/LICENSE") and ".dist-info/" in n]
    assert licence, names
    assert b"GNU GENERAL PUBLIC LICENSE" in zipfile.ZipFile(built).read(licence[0])
    metadata = zipfile.ZipFile(built).read(built.name.split("-py")[0] + ".dist-info/METADATA").decode()
    assert "License-Expression: GPL-3.0-or-later" in metadata


def test_building_leaves_build_to_our_packaging(wheel):
    _, source, ours = wheel
    # build/ holds what it held before (our files, the planted stale one): setuptools worked elsewhere
    assert sorted(p.relative_to(source) for p in (source / "build").rglob("*")) == ours
    assert (ROOT / "LICENSE").read_text().startswith(" " * 20 + "GNU GENERAL PUBLIC LICENSE")
