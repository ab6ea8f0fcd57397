"""Where the audio tests must run (.ci/run sets WOODSHED_REQUIRE_AUDIO), a JACK server that
cannot be had fails them instead of turning them into green skips."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _device_test_without_jackd(require: bool) -> str:
    env = {k: v for k, v in os.environ.items() if k != "WOODSHED_REQUIRE_AUDIO"}
    env["PATH"] = str(Path(sys.executable).parent)  # no jackd on it: as on a bare machine
    if require:
        env["WOODSHED_REQUIRE_AUDIO"] = "1"
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "tests/test_engine_stream.py::test_meters_follow_the_mix"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("require,outcome", [(False, "1 skipped"), (True, "1 error")])
def test_a_missing_jack_server_fails_where_audio_is_required(require, outcome):
    assert outcome in _device_test_without_jackd(require)


def test_ci_requires_the_audio_tests():
    assert "export WOODSHED_REQUIRE_AUDIO=1" in (REPO / ".ci" / "run").read_text()
