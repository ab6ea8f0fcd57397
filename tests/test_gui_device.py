"""The audio device vanishes while the window plays: the window says so and offers to retry,
and choosing another device plays on from where it stopped.

Runs in a child process: PortAudio's JACK host API cannot be shut down once its server has
died (it asserts), so the child leaves with os._exit (as tests/test_playback_device.py does).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

_SCRIPT = r"""
import json, os, sys, time
from pathlib import Path
sys.path[:0] = [{tests!r}, {repo!r}]
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["WOODSHED_CACHE_DIR"] = str(Path({folder!r}) / "cache")
os.environ["WOODSHED_DATA_DIR"] = str(Path({folder!r}) / "data")
from audio_devices import AlsaCapture, JackServer
from woodshed.player.ui.app import make_application
from woodshed.player.ui.main_window import MainWindow

def wait(app, seconds, until=lambda: False):
    end = time.monotonic() + seconds
    while time.monotonic() < end and not until():
        app.processEvents()
        time.sleep(0.01)

kept = JackServer().start()
capture = AlsaCapture(Path({folder!r}) / "alsa", kept).start()
doomed = JackServer().start()   # PortAudio's JACK host API now talks to this one
app = make_application()
window = MainWindow(device=doomed.portaudio_device)
window.show()
window.open_demo()
wait(app, 30, lambda: window.song_view is not None)
view = window.song_view
view.strips["drums"].mute.setChecked(True)
view.play()
wait(app, 1.0)
report = {{"before_s": view.engine.position_s}}
doomed.kill()
t = time.monotonic()
wait(app, 6, lambda: bool(window.banner.message))
report.update(banner=window.banner.message, action=window.banner.action.text(),
              noticed_s=time.monotonic() - t, window_alive=window.isVisible())
os.environ["JACK_DEFAULT_SERVER"] = kept.name  # ALSA's jack plugin joins the kept server
window.switch_device(capture.portaudio_device)  # Audio > Output device
wait(app, 10, lambda: view.engine is not None)
view.transport.play.click()
report["resumed_at_s"] = view.engine.position_s
wait(app, 1.0)
report.update(after_s=view.engine.position_s, banner_after=window.banner.message,
              drums_gain=view.engine.effective_gains()["drums"])
print(json.dumps(report), flush=True)
kept.process.terminate()
os._exit(0)
"""


def test_a_vanished_device_is_a_message_and_another_device_plays_on(tmp_path):
    from audio_devices import skip_unless_jack_and_alsa

    skip_unless_jack_and_alsa()
    script = _SCRIPT.format(tests=str(Path(__file__).parent), repo=str(REPO), folder=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["window_alive"]
    assert "playback stopped" in report["banner"] and report["action"] == "Retry audio"
    assert report["noticed_s"] < 3.0
    # On the other device it plays on from where it stopped, with the mix as it was.
    assert report["resumed_at_s"] == pytest.approx(report["before_s"], abs=0.5)
    assert report["after_s"] - report["resumed_at_s"] == pytest.approx(1.0, abs=0.3)
    assert report["banner_after"] == "" and report["drums_gain"] == 0.0
