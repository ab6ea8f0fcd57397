"""File ▸ Preferences: what the command line can set, for the window, remembered in
window.ini: output device and buffer size, separation model, model folder (offline: no
--model-repo needed) and compute device, stem cache folder and size limit.

Pages are registered (register_page) so other parts add theirs; each page is a QWidget with
apply(window), called when the musician presses OK or Apply.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable

from PyQt6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog,
                             QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                             QTabWidget, QVBoxLayout, QWidget)

from woodshed.separation import cache
from woodshed.separation.errors import UserError

from .devices_menu import output_devices
from .model_download import MODEL_FOLDER_KEY

log = logging.getLogger(__name__)

DEVICE_KEY = "audio/device"
BUFFER_KEY = "audio/buffer_frames"
MODEL_KEY = "separation/model"
COMPUTE_KEY = "separation/device"
CACHE_FOLDER_KEY = "cache/folder"
BUFFER_SIZES = (128, 256, 512, 1024, 2048)
DEFAULT_BUFFER = 256
COMPUTE_DEVICES = ("auto", "cpu", "cuda", "mps")

_PAGES: list[tuple[str, Callable]] = []


def register_page(title: str, make: Callable) -> None:
    """A Preferences tab: make(window) -> a QWidget with apply(window)."""
    _PAGES.append((title, make))


# --- what the window starts with ---------------------------------------------------------
def saved_device(settings):
    """The output device chosen here: a PortAudio index, a name, or None (system default)."""
    value = settings.value(DEVICE_KEY)
    if value in (None, ""):
        return None
    text = str(value)
    return int(text) if text.isdigit() else text


def saved_buffer(settings) -> int:
    try:
        frames = int(settings.value(BUFFER_KEY, DEFAULT_BUFFER))
    except (TypeError, ValueError):
        return DEFAULT_BUFFER
    return frames if frames in BUFFER_SIZES else DEFAULT_BUFFER


def separation_settings(settings, given=None):
    """SeparationSettings from the preferences; `given` (the command line, a test) wins."""
    from woodshed.separation.separate import SeparationSettings

    if given is not None:
        return given
    model = settings.value(MODEL_KEY) or None
    folder = settings.value(MODEL_FOLDER_KEY) or None
    device = settings.value(COMPUTE_KEY) or "auto"
    if model is None and folder is None and device == "auto":
        return None  # the defaults (and the model download on first use)
    kwargs = {"device": device, "model_repo": Path(folder) if folder else None}
    if model:
        kwargs["model"] = model
    try:
        return SeparationSettings(**kwargs)
    except UserError as exc:
        log.warning("preferences ignored: %s", exc.message)
        return None


def use_cache_folder(settings, chosen_now: bool = False) -> None:
    """The stem cache the preferences name, for this process and the separation processes it
    starts (they inherit the environment). At start-up a WOODSHED_CACHE_DIR set outside wins;
    a folder chosen in the dialog just now wins over it."""
    folder = settings.value(CACHE_FOLDER_KEY)
    if folder and (chosen_now or not os.environ.get("WOODSHED_CACHE_DIR")):
        os.environ["WOODSHED_CACHE_DIR"] = str(folder)


# --- the pages ---------------------------------------------------------------------------
def _folder_row(edit: QLineEdit, title: str, parent: QWidget) -> QHBoxLayout:
    browse = QPushButton("Choose…")

    def choose():
        folder = QFileDialog.getExistingDirectory(parent, title, edit.text() or str(Path.home()))
        if folder:
            edit.setText(folder)
    browse.clicked.connect(choose)
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(edit, 1)
    row.addWidget(browse)
    return row


class AudioPage(QWidget):
    def __init__(self, window, settings):
        super().__init__()
        self.settings = settings
        self.device = QComboBox()
        self.device.setObjectName("output_device")
        self.device.addItem("System default", None)
        for index, name in output_devices():
            self.device.addItem(name, index)
        current = window.device
        found = self.device.findData(current)
        if found < 0 and current is not None:
            self.device.addItem(str(current), current)
            found = self.device.count() - 1
        self.device.setCurrentIndex(max(0, found))
        self.buffer = QComboBox()
        self.buffer.setObjectName("buffer_frames")
        for frames in BUFFER_SIZES:
            self.buffer.addItem(f"{frames} frames ({frames / 44.1:.1f} ms at 44.1 kHz)", frames)
        self.buffer.setCurrentIndex(self.buffer.findData(saved_buffer(settings)))
        form = QFormLayout(self)
        form.addRow("Output device", self.device)
        form.addRow("Buffer size", self.buffer)
        form.addRow("", QLabel("Smaller: the controls answer sooner; larger: safer on a busy "
                               "machine."))

    def apply(self, window) -> None:
        device = self.device.currentData()
        frames = int(self.buffer.currentData())
        self.settings.setValue(DEVICE_KEY, "" if device is None else str(device))
        self.settings.setValue(BUFFER_KEY, frames)
        window.set_audio(device, frames)


class SeparationPage(QWidget):
    def __init__(self, window, settings):
        from woodshed.separation.model import DEFAULT_MODEL, KNOWN_MODELS

        super().__init__()
        self.settings = settings
        current = window.separation_settings
        self.model = QComboBox()
        self.model.setObjectName("model")
        self.model.setEditable(True)  # a model in the folder below may have another name
        self.model.addItems(KNOWN_MODELS)
        self.model.setCurrentText(current.model if current else (settings.value(MODEL_KEY) or DEFAULT_MODEL))
        folder = current.model_repo if current and current.model_repo else settings.value(MODEL_FOLDER_KEY)
        self.folder = QLineEdit(str(folder or ""))
        self.folder.setObjectName("model_folder")
        self.folder.setPlaceholderText("(downloaded on first use)")
        self.compute = QComboBox()
        self.compute.setObjectName("compute_device")
        self.compute.addItems(COMPUTE_DEVICES)
        self.compute.setCurrentText(current.device if current else (settings.value(COMPUTE_KEY) or "auto"))
        form = QFormLayout(self)
        form.addRow("Model", self.model)
        form.addRow("Model folder", _folder_row(self.folder, "Folder of model weights", self))
        form.addRow("", QLabel("A folder of demucs weights (.th/.yaml) for working offline. Its "
                               "files are run as code: use only weights you trust."))
        form.addRow("Compute on", self.compute)

    def apply(self, window) -> None:
        folder = self.folder.text().strip()
        if folder and not Path(folder).expanduser().is_dir():
            raise UserError(f"model folder {folder} does not exist")
        self.settings.setValue(MODEL_KEY, self.model.currentText().strip())
        self.settings.setValue(MODEL_FOLDER_KEY, str(Path(folder).expanduser()) if folder else "")
        self.settings.setValue(COMPUTE_KEY, self.compute.currentText())
        window.separation_settings = separation_settings(self.settings)


class CachePage(QWidget):
    def __init__(self, window, settings):
        super().__init__()
        self.settings = settings
        self.folder = QLineEdit(str(cache.cache_root()))
        self.folder.setObjectName("cache_folder")
        self.limit = QDoubleSpinBox()
        self.limit.setObjectName("cache_limit")
        self.limit.setRange(0.5, 10000)
        self.limit.setDecimals(1)
        self.limit.setSuffix(" GB")
        self.limit.setValue(cache.size_limit_bytes() / 1e9)
        form = QFormLayout(self)
        form.addRow("Stem cache", _folder_row(self.folder, "Folder for separated stems", self))
        form.addRow("Size limit", self.limit)
        form.addRow("", QLabel("Past the limit, the songs used longest ago are removed first "
                               "(never one that is open)."))

    def apply(self, window) -> None:
        folder = Path(self.folder.text().strip()).expanduser()
        if folder != cache.cache_root():
            self.settings.setValue(CACHE_FOLDER_KEY, str(folder))
            use_cache_folder(self.settings, chosen_now=True)
        cache.set_size_limit(int(self.limit.value() * 1e9), cache.ensure_root())
        window.refresh_library()


register_page("Audio", AudioPage)
register_page("Separation", SeparationPage)
register_page("Stem cache", CachePage)


class PreferencesDialog(QDialog):
    def __init__(self, window, settings):
        super().__init__(window)
        self.setWindowTitle("Preferences")
        self.setObjectName("preferences")
        self.window = window
        self.tabs = QTabWidget()
        self.pages = []
        for title, make in _PAGES:
            page = make(window, settings)
            self.pages.append(page)
            self.tabs.addTab(page, title)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #f85149;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.Apply)
        buttons.accepted.connect(self.accept_if_applied)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(560, 300)

    def apply(self) -> bool:
        """Every page's settings in force; a bad one is said here, the dialog stays open."""
        try:
            for page in self.pages:
                page.apply(self.window)
        except UserError as exc:
            self.status.setText(exc.message)
            return False
        self.status.setText("")
        return True

    def accept_if_applied(self) -> None:
        if self.apply():
            self.accept()
