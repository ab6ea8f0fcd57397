"""A private Xvfb display for tests that need a real X server (screenshots, a real keyboard).

Skips with the reason when Xvfb is missing or will not start, except under CI (.ci/run sets
WOODSHED_REQUIRE_XVFB=1): there a missing X server fails the test instead of hiding it.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest


def unavailable(reason: str) -> None:
    if os.environ.get("WOODSHED_REQUIRE_XVFB"):
        pytest.fail(f"{reason} (WOODSHED_REQUIRE_XVFB is set: CI must run this test)")
    pytest.skip(reason)


@pytest.fixture
def xvfb_display():
    if shutil.which("Xvfb") is None:
        unavailable("Xvfb not installed (Debian/Ubuntu: apt-get install xvfb)")
    number = 90 + os.getpid() % 500
    while Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
        number += 1
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1600x900x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            unavailable("Xvfb would not start")
        time.sleep(0.05)
    yield f":{number}"
    server.terminate()
    server.wait(timeout=10)
