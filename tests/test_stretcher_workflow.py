"""The GitHub workflow that builds the stretcher on Windows and macOS and tests it there
(it cannot run here): parsed, and its steps checked against what they must do."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "stretcher.yml"


@pytest.fixture(scope="module")
def job() -> dict:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    return workflow["jobs"]["stretcher"]


def steps_for(job: dict, runner_os: str) -> list[dict]:
    """The steps that run on ``runner_os`` (those with no `if`, or an `if` that holds)."""
    chosen = []
    for step in job["steps"]:
        condition = step.get("if")
        if condition is None:
            chosen.append(step)
            continue
        m = re.fullmatch(r"runner\.os (==|!=) '(\w+)'", condition.strip())
        assert m, f"unexpected condition {condition!r}"
        if (m.group(2) == runner_os) == (m.group(1) == "=="):
            chosen.append(step)
    return chosen


def script(steps: list[dict]) -> str:
    return "\n".join(step.get("run", "") for step in steps)


def test_it_runs_on_windows_macos_arm64_and_x86_64_and_linux(job):
    runners = {entry["os"] for entry in job["strategy"]["matrix"]["include"]}
    assert any(r.startswith("windows") for r in runners)
    assert "macos-14" in runners and "macos-13" in runners  # arm64, x86_64
    assert any(r.startswith("ubuntu") for r in runners)
    assert job["runs-on"] == "${{ matrix.os }}"
    assert job["strategy"]["fail-fast"] is False  # one OS failing still shows the others


@pytest.mark.parametrize("runner_os, library", [("Windows", "rubberband.dll"),
                                                ("macOS", "librubberband.dylib")])
def test_windows_and_macos_build_rubber_band_from_its_source_into_the_package(job, runner_os,
                                                                                library):
    from woodshed.player.engine import rubberband

    steps = steps_for(job, runner_os)
    fetch = [s for s in steps if s.get("with", {}).get("repository") == "breakfastquay/rubberband"]
    assert fetch and fetch[0]["uses"].startswith("actions/checkout@")
    text = script(steps)
    assert "rubberband-src/single/RubberBandSingle.cpp" in text
    assert f"player/engine/_lib/{library}" in text
    assert library in rubberband._LIBRARY_NAMES["win32" if runner_os == "Windows" else "darwin"]
    assert "COPYING" in text  # Rubber Band's licence travels with its binary


def test_linux_uses_the_distributions_library(job):
    text = script(steps_for(job, "Linux"))
    assert "librubberband2" in text and "RubberBandSingle" not in text


@pytest.mark.parametrize("runner_os", ["Linux", "Windows", "macOS"])
def test_the_installed_wheel_runs_the_tests_that_need_no_audio_device(job, runner_os):
    steps = steps_for(job, runner_os)
    text = script(steps)
    build = text.index("pip wheel")
    install = text.index("pip install", build)
    assert "-e " not in text[install:text.index("\n", install)]  # the wheel, not the checkout
    test_line = next(line for line in text.splitlines() if "pytest" in line)
    assert text.index(test_line) > install
    named = re.findall(r"tests/\S+\.py", test_line)
    assert {"tests/test_rubberband.py", "tests/test_render.py", "tests/test_export.py"} <= set(named)
    for name in named:
        source = (ROOT / name).read_text()
        assert (ROOT / name).exists() and "jack" not in source.lower(), name


def test_the_bundled_library_goes_into_the_wheel():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "_lib/*" in config["package-data"]["woodshed.player.engine"]
