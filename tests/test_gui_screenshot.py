"""A real window under Xvfb: the practice window playing the demo with a loop set, saved to
resources/screenshot.png (the picture in the README) when WOODSHED_UPDATE_SCREENSHOT=1.

Qt picks its platform once per process and the other GUI tests run offscreen, so the window
is shown by a child process (this file run as a script) on a private Xvfb display.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from xvfb_display import xvfb_display  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "resources" / "screenshot.png"
PREFERENCES_SCREENSHOT = ROOT / "resources" / "screenshot-preferences.png"
WINDOW_SIZE = (1400, 800)


def test_screenshot_of_the_window_playing_the_demo_with_a_loop(xvfb_display, jack_server, cache_dir,
                                                               tmp_path):
    env = {**os.environ, "DISPLAY": xvfb_display, "QT_QPA_PLATFORM": "xcb",
           "WOODSHED_DATA_DIR": str(tmp_path / "data")}
    out = tmp_path / "screenshot.png"
    child = subprocess.run([sys.executable, __file__, str(out)], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr[-3000:]
    from PyQt6.QtGui import QImage

    image = QImage(str(out))
    assert (image.width(), image.height()) == WINDOW_SIZE
    # Not a blank frame: the lanes' colours are there (drums orange, bass violet).
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 7)
               for y in range(0, image.height(), 7)}
    assert len(colours) > 50
    assert "position" in child.stdout and "loop 9.6-19.2 on" in child.stdout
    assert "markers Intro,Verse 2,Last phrase" in child.stdout
    assert "bars 4,5,6,7,8,9,10" in child.stdout   # the bar ruler over 6-24 s (bars of 2.4 s)
    preferences = out.with_name("preferences.png")
    assert QImage(str(preferences)).width() > 300
    if os.environ.get("WOODSHED_UPDATE_SCREENSHOT"):  # refresh the README's pictures on demand
        shutil.copyfile(out, SCREENSHOT)
        shutil.copyfile(preferences, PREFERENCES_SCREENSHOT)


def _take(out: Path) -> None:
    """Child process: open the demo, set a loop, play inside it, save the window."""
    sys.path[:0] = [str(Path(__file__).resolve().parent), str(ROOT)]
    from audio_devices import find_output_device
    from PyQt6.QtCore import QTimer

    from woodshed.player.ui.app import make_application
    from woodshed.player.ui.main_window import MainWindow

    app = make_application()
    window = MainWindow(device=find_output_device("system", "JACK"))
    window.resize(*WINDOW_SIZE)
    window.show()
    window.open_demo()

    def when_open():
        view = window.song_view
        if view is None or view.grid is None:   # the picture shows the bars: wait for the grid
            QTimer.singleShot(100, when_open)
            return
        for name, at_s in (("Intro", 0.0), ("Verse 2", 9.6), ("Last phrase", 19.2)):
            view.seek(at_s)
            view.add_marker_here(name)
        view.set_loop(9.6, 19.2)
        view.save_loop("Verse 2")
        view.set_loop(19.2, 28.8)
        view.save_loop("Last phrase")
        view.set_loop(9.6, 19.2)
        view.loops.list.setCurrentRow(0)
        view.waveforms.set_view(6.0, 24.0)
        view.strips["piano"].mute.setChecked(True)
        view.strips["bass"].fader.set_db(-3.0)
        view.set_tempo(0.85)
        view.set_click_on(True)
        view.seek(12.0)
        view.play()
        QTimer.singleShot(1800, shoot)

    def shoot():
        view = window.song_view
        start_s, end_s, on = view.engine.loop
        print(f"position {view.engine.position_s:.2f} loop {start_s:.1f}-{end_s:.1f} {'on' if on else 'off'}")
        print("markers " + ",".join(m.name for m in view.session.markers))
        print("bars " + ",".join(view.waveforms.bar_labels()))
        window.grab().save(str(out))
        from woodshed.player.ui.preferences import PreferencesDialog
        from woodshed.player.ui.main_window import settings

        dialog = PreferencesDialog(window, settings())
        dialog.tabs.setCurrentIndex(1)  # separation: model, model folder, device
        dialog.show()
        app.processEvents()
        dialog.grab().save(str(out.with_name("preferences.png")))
        dialog.close()
        window.close()
        app.quit()

    QTimer.singleShot(0, when_open)
    app.exec()


if __name__ == "__main__":
    _take(Path(sys.argv[1]))
