"""File ▸ Preferences: everything the command line can set, for the window, remembered in
window.ini: output device (play --device) and buffer size, separation model (--model), model
folder (--model-repo: offline, no command line needed), compute device (--device), shifts and
overlap (--shifts, --overlap), stem cache folder and size limit (cache limit). Where an
environment variable decides instead (WOODSHED_CACHE_DIR, WOODSHED_CACHE_LIMIT,
WOODSHED_MODEL_REPO), the row says so.

Pages are registered (register_page) so other parts add theirs; each page is a QWidget with
apply(window), called when the musician presses OK or Apply.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable

from PyQt6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog,
                             QFormLayout, QHBoxLayout, QLabel, QLineEdit, QMessageBox,
                             QPushButton, QSpinBox, QTabWidget, QVBoxLayout, QWidget)

from woodshed.separation import cache
from woodshed.separation.errors import UserError

from .devices_menu import output_devices
from .song_names import song_details, song_label, told_apart

log = logging.getLogger(__name__)

SONGS_NAMED_AT_MOST = 12  # in the question before a lower cache limit removes songs

# window.ini's format: stamped in the file; a file without it (written before) reads the same.
# A newer Woodshed's file is read as far as its keys are understood (each value is checked).
SETTINGS_FORMAT = 1
FORMAT_KEY = "format"
DEVICE_KEY = "audio/device"
BUFFER_KEY = "audio/buffer_frames"
MODEL_KEY = "separation/model"
MODEL_FOLDER_KEY = "separation/model_folder"
COMPUTE_KEY = "separation/device"
SHIFTS_KEY = "separation/shifts"
OVERLAP_KEY = "separation/overlap"
CACHE_FOLDER_KEY = "cache/folder"
BUFFER_SIZES = (128, 256, 512, 1024, 2048)
DEFAULT_BUFFER = 256
COMPUTE_DEVICES = ("auto", "cpu", "cuda", "mps")
# The command line's options these rows stand for (app/play/separate), checked by a test.
COMMAND_LINE_ROWS = {"--device (play, app)": "output_device", "--model": "model",
                     "--model-repo": "model_folder", "--device (separate)": "compute_device",
                     "--shifts": "shifts", "--overlap": "overlap", "cache limit": "cache_limit",
                     "WOODSHED_CACHE_DIR": "cache_folder"}

_PAGES: list[tuple[str, Callable]] = []


def register_page(title: str, make: Callable) -> None:
    """A Preferences tab: make(window) -> a QWidget with apply(window)."""
    _PAGES.append((title, make))


# --- what the window starts with ---------------------------------------------------------
def check_format(settings) -> str | None:
    """Stamp window.ini with its format; a sentence for the musician when a newer Woodshed
    wrote it (its settings are then read as far as this one understands them)."""
    value = settings.value(FORMAT_KEY)
    try:
        version = int(value) if value is not None else None
    except (TypeError, ValueError):
        version = None
    if version is not None and version > SETTINGS_FORMAT:
        log.warning("window settings: format %s is newer than %s", version, SETTINGS_FORMAT)
        return (f"The window's settings were written by a newer Woodshed (format {version}): "
                "those this version understands are used.")
    if version != SETTINGS_FORMAT:
        settings.setValue(FORMAT_KEY, SETTINGS_FORMAT)
    return None


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


def _saved_number(settings, key: str, kind, default):
    try:
        return kind(settings.value(key, default))
    except (TypeError, ValueError):
        return default


def separation_settings(settings, given=None, command_line: dict | None = None):
    """SeparationSettings from the preferences. ``given`` (a test, a benchmark) wins whole;
    ``command_line`` ({"model": …, "model_repo": …} the musician typed) wins field by field,
    so `woodshed app --model htdemucs` still separates offline with the preferences' folder."""
    from woodshed.separation.separate import SeparationSettings

    if given is not None:
        return given
    folder = settings.value(MODEL_FOLDER_KEY) or None
    kwargs = {"model": settings.value(MODEL_KEY) or None,
              "model_repo": Path(folder) if folder else None,
              "device": settings.value(COMPUTE_KEY) or "auto",
              "shifts": _saved_number(settings, SHIFTS_KEY, int, 0),
              "overlap": _saved_number(settings, OVERLAP_KEY, float, 0.25)}
    kwargs.update({k: v for k, v in (command_line or {}).items() if v is not None})
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    if kwargs == {"device": "auto", "shifts": 0, "overlap": 0.25}:
        return None  # the defaults (and the model download on first use)
    try:
        return SeparationSettings(**kwargs)
    except UserError as exc:
        log.warning("preferences ignored: %s", exc.message)
        return None


def cache_folder_from_environment() -> str | None:
    """WOODSHED_CACHE_DIR when it was set outside Woodshed (it then decides the cache folder,
    over the preferences), else None. The window itself sets it to pass the preferences'
    folder to the separation processes it starts: that value is not 'outside'."""
    value = os.environ.get("WOODSHED_CACHE_DIR")
    return value if value and value != _CACHE_DIR_SET_HERE[0] else None


_CACHE_DIR_SET_HERE = [None]  # the WOODSHED_CACHE_DIR value use_cache_folder set last


def use_cache_folder(settings) -> None:
    """The stem cache the preferences name, for this process and the separation processes it
    starts (they inherit the environment); a WOODSHED_CACHE_DIR set outside wins (the row in
    Preferences then says so and cannot be changed)."""
    folder = settings.value(CACHE_FOLDER_KEY)
    if folder and cache_folder_from_environment() is None:
        os.environ["WOODSHED_CACHE_DIR"] = _CACHE_DIR_SET_HERE[0] = str(folder)


# --- the pages ---------------------------------------------------------------------------
def _folder_row(edit: QLineEdit, browse: QPushButton, title: str, parent: QWidget) -> QHBoxLayout:
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
        self.buffer.setCurrentIndex(self.buffer.findData(window.buffer_frames))
        form = QFormLayout(self)
        form.addRow("Output device", self.device)
        form.addRow("Buffer size", self.buffer)
        form.addRow("", _note("Smaller: the controls answer sooner; larger: safer on a busy "
                              "machine. Applied at once: the output reopens (a moment of "
                              "silence), the song keeps its place and mix."))

    def apply(self, window) -> None:
        device = self.device.currentData()
        frames = int(self.buffer.currentData())
        self.settings.setValue(DEVICE_KEY, "" if device is None else str(device))
        self.settings.setValue(BUFFER_KEY, frames)
        window.set_audio(device, frames)


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


def _set_by_environment(widgets, note: QLabel, variable: str, value: str) -> None:
    """A row an environment variable decides: shown, not editable, and why."""
    for widget in widgets:
        widget.setEnabled(False)
        widget.setToolTip(f"Set by {variable}")
    note.setText(f"Set by the environment variable {variable}={value}, which wins over "
                 "Preferences: unset it to choose here.")


def has_weights(folder: Path) -> bool:
    return any(p.suffix in (".th", ".yaml") for p in folder.iterdir())


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
        from_env = os.environ.get("WOODSHED_MODEL_REPO")
        self.folder.setPlaceholderText(f"(WOODSHED_MODEL_REPO: {from_env})" if from_env
                                       else "(downloaded on first use)")
        self.choose_folder = QPushButton("Choose…")
        self.choose_folder.setObjectName("choose_model_folder")
        self.compute = QComboBox()
        self.compute.setObjectName("compute_device")
        self.compute.addItems(COMPUTE_DEVICES)
        self.compute.setCurrentText(current.device if current else (settings.value(COMPUTE_KEY) or "auto"))
        self.shifts = QSpinBox()
        self.shifts.setObjectName("shifts")
        self.shifts.setRange(0, 20)
        self.shifts.setValue(current.shifts if current else 0)
        self.overlap = QDoubleSpinBox()
        self.overlap.setObjectName("overlap")
        self.overlap.setRange(0.0, 0.99)
        self.overlap.setSingleStep(0.05)
        self.overlap.setValue(current.overlap if current else 0.25)
        form = QFormLayout(self)
        form.addRow("Model", self.model)
        form.addRow("Model folder", _folder_row(self.folder, self.choose_folder,
                                                "Folder of model weights", self))
        form.addRow("", _note("A folder of demucs weights (.th/.yaml) for working offline. Its "
                              "files are run as code: use only weights you trust."))
        form.addRow("Compute on", self.compute)
        form.addRow("Shifts", self.shifts)
        form.addRow("Overlap", self.overlap)
        form.addRow("", _note("Shifts: passes averaged (better, that many times slower). "
                              "Changing shifts or overlap separates a song again."))

    def apply(self, window) -> None:
        from woodshed.separation.separate import SeparationSettings

        text = self.folder.text().strip()
        folder = Path(text).expanduser() if text else None
        if folder is not None and not folder.is_dir():
            raise UserError(f"model folder {text} does not exist")
        if folder is not None and not has_weights(folder):
            raise UserError(f"model folder {text} holds no demucs weights (.th or .yaml files)")
        SeparationSettings(device=self.compute.currentText(), shifts=self.shifts.value(),
                           overlap=self.overlap.value())  # a bad value is said, nothing saved
        self.settings.setValue(MODEL_KEY, self.model.currentText().strip())
        self.settings.setValue(MODEL_FOLDER_KEY, str(folder) if folder else "")
        self.settings.setValue(COMPUTE_KEY, self.compute.currentText())
        self.settings.setValue(SHIFTS_KEY, self.shifts.value())
        self.settings.setValue(OVERLAP_KEY, round(self.overlap.value(), 2))
        window.separation_settings = separation_settings(self.settings)


class CachePage(QWidget):
    def __init__(self, window, settings):
        super().__init__()
        self.settings = settings
        self.folder = QLineEdit(str(cache.cache_root()))
        self.folder.setObjectName("cache_folder")
        self.choose_folder = QPushButton("Choose…")
        self.choose_folder.setObjectName("choose_cache_folder")
        self.limit = QDoubleSpinBox()
        self.limit.setObjectName("cache_limit")
        self.limit.setRange(0.01, 10000)
        self.limit.setDecimals(2)
        self.limit.setSuffix(" GB")
        self.limit.setValue(cache.size_limit_bytes() / 1e9)
        self.folder_note = _note("")
        self.folder_note.setObjectName("cache_folder_note")
        self.limit_note = _note("Past the limit, the songs used longest ago are removed first "
                                "(never one that is open).")
        self.limit_note.setObjectName("cache_limit_note")
        form = QFormLayout(self)
        form.addRow("Stem cache", _folder_row(self.folder, self.choose_folder,
                                              "Folder for separated stems", self))
        form.addRow("", self.folder_note)
        form.addRow("Size limit", self.limit)
        form.addRow("", self.limit_note)
        outside = cache_folder_from_environment()
        if outside:
            _set_by_environment((self.folder, self.choose_folder), self.folder_note,
                                "WOODSHED_CACHE_DIR", outside)
        else:
            self.folder_note.hide()
        if os.environ.get("WOODSHED_CACHE_LIMIT"):
            _set_by_environment((self.limit,), self.limit_note, "WOODSHED_CACHE_LIMIT",
                                os.environ["WOODSHED_CACHE_LIMIT"])

    def apply(self, window) -> None:
        if self.folder.isEnabled():
            folder = Path(self.folder.text().strip()).expanduser()
            if folder != cache.cache_root():
                self.settings.setValue(CACHE_FOLDER_KEY, str(folder))
                use_cache_folder(self.settings)
        if self.limit.isEnabled():
            limit_bytes = int(round(self.limit.value() * 1e9))
            if limit_bytes != cache.size_limit_bytes():
                going = cache.over_limit(limit_bytes)
                if going and not self._removing_agreed(going, limit_bytes):
                    self.limit.setValue(cache.size_limit_bytes() / 1e9)
                    raise UserError("The size limit is unchanged: no song was removed.")
                cache.set_size_limit(limit_bytes, cache.ensure_root())
                removed = cache.evict(limit_bytes=limit_bytes)
                if len(removed) < len(going):
                    window.refresh_library()
                    raise UserError(f"Removed {len(removed)} of {len(going)} songs: the others "
                                    f"could not be removed from {cache.cache_root()}.")
        window.refresh_library()

    def _removing_agreed(self, going, limit_bytes: int) -> bool:
        """As `woodshed cache limit` asks on the terminal: a lower limit names the songs it
        would remove (least recently used first) before anything goes."""
        labels = told_apart([song_label(song.manifest) for song, _ in going],
                            [song_details(song.manifest, song.key) for song, _ in going])
        freed = cache.format_size(sum(size for _, size in going))
        shown = labels[:SONGS_NAMED_AT_MOST] + (
            [f"… and {len(labels) - SONGS_NAMED_AT_MOST} more"] if len(labels) > SONGS_NAMED_AT_MOST else [])
        box = QMessageBox(QMessageBox.Icon.Question, "Remove songs?",
                          f"A limit of {cache.format_size(limit_bytes)} would remove "
                          f"{len(going)} song{'s' * (len(going) != 1)} ({freed}), "
                          "used longest ago first. Remove them?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setInformativeText("\n".join(shown))
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        return box.exec() == QMessageBox.StandardButton.Yes


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
        self.resize(600, 400)  # the Separation page's rows and notes without clipping

    def show_row(self, page_title: str, row_name: str) -> QWidget:
        """Bring a page forward with one of its rows (by object name) in focus."""
        titles = [self.tabs.tabText(i) for i in range(self.tabs.count())]
        self.tabs.setCurrentIndex(titles.index(page_title))
        row = self.tabs.currentWidget().findChild(QWidget, row_name)
        row.setFocus()
        return row

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
