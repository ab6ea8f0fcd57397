"""Audio ▸ Output device: pick where the sound goes; the open song moves there live."""
from __future__ import annotations

from PyQt6.QtGui import QAction, QActionGroup
from PyQt6.QtWidgets import QMenu


def output_devices() -> list[tuple[int, str]]:
    """(PortAudio index, 'name (host API)') of every device with outputs; [] without PortAudio."""
    from woodshed.player.engine.output import _sd

    try:
        sd = _sd()
        apis = sd.query_hostapis()
        return [(i, f"{d['name']} ({apis[d['hostapi']]['name']})")
                for i, d in enumerate(sd.query_devices()) if d["max_output_channels"] > 0]
    except Exception:  # no PortAudio library at all: the menu just says so
        return []


class DevicesMenu(QMenu):
    def __init__(self, window):
        super().__init__("Output &device", window)
        self.window = window
        self.aboutToShow.connect(self.fill)

    def fill(self) -> None:
        self.clear()
        group = QActionGroup(self)
        choices = [(None, "System default"), *output_devices()]
        for index, name in choices:
            action = QAction(name, self, checkable=True)
            action.setChecked(index == self.window.device)
            action.triggered.connect(lambda _=False, i=index: self.window.switch_device(i))
            group.addAction(action)
            self.addAction(action)
        if len(choices) == 1:
            self.addAction("(no output devices found)").setEnabled(False)
