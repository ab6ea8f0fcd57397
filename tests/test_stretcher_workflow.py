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


def build_script():
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("build_rubberband", ROOT / "build" / "rubberband.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("runner_os, platform", [("Windows", "win32"), ("macOS", "darwin")])
def test_windows_and_macos_build_rubber_band_from_its_source_into_the_package(job, runner_os,
                                                                                platform):
    from woodshed.player.engine import rubberband

    steps = steps_for(job, runner_os)
    fetch = [s for s in steps if s.get("with", {}).get("repository") == "breakfastquay/rubberband"]
    assert fetch and fetch[0]["uses"].startswith("actions/checkout@")
    assert "python build/rubberband.py rubberband-src player/engine/_lib" in script(steps)
    # the name build/rubberband.py gives it is one the binding looks for
    assert build_script().LIBRARY_NAME[platform] in rubberband._LIBRARY_NAMES[platform]


def test_the_workflows_fetch_the_release_build_rubberband_py_checks():
    for name in ("stretcher.yml", "bundle.yml"):
        workflow = yaml.safe_load((WORKFLOW.parent / name).read_text())
        assert workflow["env"]["RUBBERBAND_TAG"] == build_script().RUBBERBAND_TAG, name


@pytest.mark.parametrize("name", ["stretcher.yml", "bundle.yml"])
def test_windows_links_fftw_and_libsamplerate_from_vcpkg(name):
    # the cheap build (README "The stretcher"), and the same in both workflows
    job = next(iter(yaml.safe_load((WORKFLOW.parent / name).read_text())["jobs"].values()))
    text = script([s for s in job["steps"] if s.get("if") == "runner.os == 'Windows'"])
    assert "vcpkg install fftw3:x64-windows libsamplerate:x64-windows" in text
    assert '--prefix "$env:VCPKG_INSTALLATION_ROOT/installed/x64-windows"' in text
    assert build_script().DEFAULTS["win32"] == ("fftw", "libsamplerate")


def test_linux_wheel_uses_the_distributions_library_and_tests_the_bundles_build_too(job):
    steps = steps_for(job, "Linux")
    text = script(steps)
    assert "librubberband2" in text and "libfftw3-dev libsamplerate0-dev" in text
    # the wheel's package gets no library of ours on Linux: pip installs use the system's
    assert "player/engine/_lib" not in text
    build = text.index('python build/rubberband.py rubberband-src "$RUNNER_TEMP/rubberband-bundle"')
    again = text.index('WOODSHED_RUBBERBAND_LIBRARY="$RUNNER_TEMP/rubberband-bundle/librubberband.so.2"')
    assert build < again and "tests/test_rubberband.py" in text[again:]


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
