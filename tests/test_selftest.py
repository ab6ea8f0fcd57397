"""`woodshed selftest`: one line per check, exit 0 when all pass, 1 when one fails."""
from __future__ import annotations

import os
import subprocess
import sys

CHECK_NAMES = ["decoding", "model", "stretcher", "render", "devices", "window"]


def run_selftest(env_extra=None, timeout_s=120):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "woodshed.player", "selftest"], env=env,
                          capture_output=True, text=True, timeout=timeout_s)


def check_lines(stdout: str) -> dict[str, str]:
    lines = [line for line in stdout.splitlines() if not line.startswith("selftest:")]
    assert len(lines) == len(CHECK_NAMES), stdout
    return {line.split()[1]: line.split()[0] for line in lines}


def test_selftest_passes_offline_with_one_line_per_check(tmp_path):
    # No display (offscreen is selftest's own choice), nowhere to write but a temp folder.
    done = run_selftest({"DISPLAY": "", "QT_QPA_PLATFORM": "xcb",
                         "WOODSHED_CACHE_DIR": str(tmp_path / "never-used")})
    assert done.returncode == 0, done.stdout + done.stderr
    assert check_lines(done.stdout) == {name: "ok" for name in CHECK_NAMES}
    assert f"{len(CHECK_NAMES)} of {len(CHECK_NAMES)} checks passed" in done.stdout
    assert not (tmp_path / "never-used").exists()


def test_a_broken_component_fails_its_check_and_the_exit_status(tmp_path):
    # A bundle whose plotting library is broken: the window check fails, the others still run.
    (tmp_path / "pyqtgraph").mkdir()
    (tmp_path / "pyqtgraph" / "__init__.py").write_text("raise ImportError('pyqtgraph broken')\n")
    done = run_selftest({"PYTHONPATH": str(tmp_path)})
    assert done.returncode == 1, done.stdout + done.stderr
    statuses = check_lines(done.stdout)
    assert statuses["window"] == "FAIL"
    assert "pyqtgraph broken" in done.stdout
    assert [statuses[name] for name in CHECK_NAMES[:-1]] == ["ok"] * (len(CHECK_NAMES) - 1)
    assert f"{len(CHECK_NAMES) - 1} of {len(CHECK_NAMES)} checks passed" in done.stdout
    assert "Traceback" not in done.stderr


def test_a_machine_without_rubber_band_fails_the_stretcher_check_only(tmp_path):
    # The loader is pointed at a library that is not there, as on a machine without it:
    # the stretcher check fails saying why; the render path still plays (at 1.0x).
    missing = tmp_path / "librubberband.so.2"
    done = run_selftest({"WOODSHED_RUBBERBAND_LIBRARY": str(missing)})
    assert done.returncode == 1, done.stdout + done.stderr
    statuses = check_lines(done.stdout)
    assert statuses.pop("stretcher") == "FAIL"
    assert set(statuses.values()) == {"ok"}, done.stdout
    stretcher_line = next(line for line in done.stdout.splitlines() if " stretcher " in line)
    assert "the stretcher is unavailable" in stretcher_line and str(missing) in stretcher_line
    assert "1.0x (no stretcher)" in done.stdout
    assert "Traceback" not in done.stderr


def test_devices_check_lists_a_real_device(jack_server):
    from woodshed.player.cli.selftest import check_devices

    line = check_devices(None)
    assert "output device" in line and "system" in line
