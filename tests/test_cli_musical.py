"""`woodshed play` in bars: --loop-bars, --click, --count-in, --trainer; bad values are one line."""
from __future__ import annotations

import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
from audio_devices import UNDERFLOW_TRIES

from woodshed.separation.beats.analyse import grid_for
from woodshed.player.cli.main import main
from woodshed.player.engine.trainer import SpeedTrainer

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def demo(cache_dir):
    from woodshed.separation.importer import import_folder

    song = import_folder(Path(str(files("woodshed.resources") / "demo")))
    grid_for(song.dir)
    return song


BAD = {
    "count-in not a number": ["--count-in", "x"],
    "count-in too long": ["--count-in", "9"],
    "trainer malformed": ["--trainer", "0.6:0.05"],
    "trainer never gets there": ["--trainer", "0.6:-0.05:1:1.0", "--loop-bars", "1-2"],
    "trainer too slow": ["--trainer", "0.1:0.05:1:1.0", "--loop-bars", "1-2"],
    "trainer every zero": ["--trainer", "0.6:0.05:0:1.0", "--loop-bars", "1-2"],
    "trainer without a loop": ["--trainer", "0.6:0.05:2:1.0"],
    "bars backwards": ["--loop-bars", "5-2"],
    "bar zero": ["--loop-bars", "0-2"],
    "bars outside the song": ["--loop-bars", "11-14"],
    "two loops": ["--loop-bars", "1-2", "--loop", "0:01-0:03"],
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_values_are_one_line_exit_2(case, demo, capsys):
    try:
        rc = main(["play", str(demo.dir), "--device", "no such device", *BAD[case]])
    except SystemExit as exc:          # argparse's own one-line errors
        rc = exc.code
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and err[0].startswith("woodshed: error: "), err
    assert "device" not in err[0]


def test_loop_bars_and_trainer_reach_the_engine(demo, monkeypatch):
    """What play hands the engine, without a device: the loop in seconds from the grid,
    playing from its start, the trainer, the click."""
    from woodshed.player.cli import commands
    from woodshed.player.engine.engine import Engine

    seen = {}

    def fake_start(engine):
        seen.update(loop=engine.controls.loop, trainer=engine.trainer, click=engine.click)
        raise SystemExit(0)

    monkeypatch.setattr(Engine, "start", fake_start)
    with pytest.raises(SystemExit):
        main(["play", str(demo.dir), "--loop-bars", "3-4", "--click",
                                   "--trainer", "0.6:0.05:2:1.0"])
    start_s, end_s, enabled = seen["loop"]
    assert enabled and start_s == pytest.approx(4.8, abs=0.01) and end_s == pytest.approx(9.6, abs=0.01)
    assert seen["trainer"] == SpeedTrainer(0.6, 0.05, 2, 1.0)
    assert seen["click"] is not None and seen["click"].on_beats


def test_play_with_count_in_through_the_device(alsa_capture, demo):
    """One bar of count-in, then the last bar of the demo song, captured as it left the program."""
    for _ in range(UNDERFLOW_TRIES):  # a busy machine's gap would move the clicks: play again
        result = subprocess.run([sys.executable, "-m", "woodshed.player", "play", str(demo.dir),
                                 "--device", "woodshed_capture", "--start", "26.4",
                                 "--count-in", "1", "--click"], cwd=REPO, env=dict(os.environ),
                                capture_output=True, text=True, timeout=120,
                                stdin=subprocess.DEVNULL)
        assert result.returncode == 0, result.stderr
        if "underflow" not in result.stderr:
            break
    else:
        pytest.fail("every run had an underflow: the machine is too busy to check the clicks")
    played, rate = alsa_capture.read()
    mono = np.abs(played).max(axis=0)
    loud = mono > 0.05
    starts = np.flatnonzero(loud & ~np.concatenate([[False], loud[:-1]]))
    starts = starts[np.concatenate([[True], np.diff(starts) > 0.1 * rate])] / rate
    count = starts[:4]
    np.testing.assert_allclose(np.diff(count), 0.6, atol=0.002)          # one beat apart at 100 BPM
    assert abs(starts[4] - count[-1] - 0.6) < 0.005                      # the song on the next beat
    between = played[:, int((count[0] + 0.05) * rate):int((count[1] - 0.01) * rate)]
    assert np.abs(between).max() < 1e-3                                  # only clicks in the count-in
