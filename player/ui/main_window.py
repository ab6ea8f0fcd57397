"""The practice window: menus, the open song's view, the library, errors, and what it remembers."""
from __future__ import annotations

import gc
import json
import logging
import threading
from pathlib import Path

from PyQt6.QtCore import QByteArray, QPoint, QSettings, QSize, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import (QApplication, QFileDialog, QHBoxLayout, QPushButton, QLabel, QMainWindow, QMessageBox, QStackedWidget,
                             QVBoxLayout, QWidget)

from woodshed.separation import cache
from woodshed.separation.errors import UserError

from ..song_source import SongKind, identify, import_song_folders, import_stems
from . import actions, keyboard, keymap, pedals, preferences, shortcuts
from .audio_slot import AudioSlot
from .banner import Banner
from .beat_grid import find_beats_meanwhile
from .devices_menu import DevicesMenu
from .library import LibraryDialog, LibraryTable
from .loading import LoadedSong, load_cached
from .model_download import DownloadRelay
from .reopen import open_cached_folder
from .separating import SeparationBar, SeparationMonitor, resume_separation, start_separation
from .session import data_dir, save_session
from .song_names import song_details, song_label, told_apart
from .song_view import SongView
from .tasks import Tasks, describe_error
from .waveform import lane_peaks

log = logging.getLogger(__name__)

APP_NAME = "Woodshed"
MAX_RECENT = 10
FIRST_START_FRACTION = 0.85  # of the screen, on the first start
CLOSE_AUDIO_WAIT_S = 5.0
STEMS_SETTLE_MS = 100  # after the joined stems show (layout, first paint), their news
SESSION_SAVE_DELAY_MS = 1000  # write the session a moment after the last change, not per tick
MOUSE_HINT = ("Drag across the waveform: loop (on the beats; Shift: free) · click: seek · "
              "wheel: zoom · right-drag: scroll · F1: keys")
AUDIO_FILTER = "Songs (*.mp3 *.wav *.flac *.ogg *.opus *.m4a *.aac *.aiff *.aif *.mp4 *.webm);;All files (*)"


def settle_memory() -> None:
    """After building a song's view: what exists now lives as long as the song, so take it
    out of Python's garbage collection passes (a full pass over every Qt and numpy object
    took up to a quarter of a second on a busy machine, stalling paints and the audio feed).
    Unfreezing first lets the previous song's leftovers be collected now."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def job_done(job) -> bool:
    """The cancelled job's song is fully separated after all (it finished as Cancel came)."""
    song = job.partial()
    return song is None or song.manifest.complete


def _fraction_done(view) -> float:
    engine = view.engine
    ranges = engine.ready_ranges_s() if engine is not None else [
        (a / view.song.manifest.sample_rate, b / view.song.manifest.sample_rate)
        for a, b in view.song.manifest.ready_ranges()]
    return sum(b - a for a, b in ranges) / max(1e-9, view.duration_s)


def _recent_entry_fits(entry) -> bool:
    """An Open recent entry as add_recent writes it: a label, and details of text."""
    return (isinstance(entry, dict) and isinstance(entry.get("label"), str)
            and isinstance(entry.get("key"), (str, type(None)))
            and isinstance(entry.get("details", {}), dict)
            and all(isinstance(v, str) for v in entry.get("details", {}).values()))


def settings() -> QSettings:
    """Window geometry and recent songs, in the same data folder as the sessions."""
    return QSettings(str(data_dir() / "window.ini"), QSettings.Format.IniFormat)


class MainWindow(QMainWindow):
    action_triggered = pyqtSignal(str)  # a registry action's id, each time one runs

    def __init__(self, device=None, with_engine: bool = True, separation_settings=None,
                 midi: bool = False, command_line: dict | None = None):
        """device, separation_settings: given (a test, a benchmark), they win over the
        preferences; command_line: the separation options the musician typed (model,
        model_repo), each of which wins over its preference."""
        super().__init__()
        store = settings()
        settings_note = preferences.check_format(store)
        preferences.use_cache_folder(store)
        # output device for the engine (None: the system's default, or the preferences')
        self.device = device if device is not None else preferences.saved_device(store)
        self.buffer_frames = preferences.saved_buffer(store)  # the output's block (Preferences)
        self.with_engine = with_engine
        # None: the default model; else the command line's, or the preferences'
        self.separation_settings = preferences.separation_settings(store, separation_settings,
                                                                   command_line)
        self.monitor: SeparationMonitor | None = None
        self.setWindowTitle(APP_NAME)
        self.setAcceptDrops(True)
        self.tasks = Tasks(self)
        self.audio = AudioSlot()  # one engine at a time (see audio_slot.py)
        self._open_serial = 0     # the latest open; older ones are superseded
        self.song_view: SongView | None = None
        self.loading = False

        self.banner = Banner()
        self.banner.action_clicked.connect(self._banner_action)
        self.separation_bar = SeparationBar()
        self.separation_bar.cancel_clicked.connect(self.cancel_separation)
        self.download_relay = DownloadRelay(self.separation_bar, self.tasks, self)
        self.separation_bar.resume_clicked.connect(self.resume_separation)
        self.paused_separation = None  # a cancelled job of the open song, to resume
        self._joining = None  # the view whose song's stems are joining it (see _stems_joined)
        self._peaks_missed = False  # separation's news that came while they joined
        self.welcome = self._welcome_page()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.banner)
        layout.addWidget(self.separation_bar)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._menus()
        self.save_timer = QTimer(self)
        self.save_timer.setSingleShot(True)
        self.save_timer.setInterval(SESSION_SAVE_DELAY_MS)
        self.save_timer.timeout.connect(self.save_session_soon)

        geometry = settings().value("geometry")
        if isinstance(geometry, (bytes, QByteArray)):  # a hand-edited file may hold anything
            self.restoreGeometry(geometry)
        else:
            self.first_start_size()
        self.refresh_library()
        if settings_note:
            self.show_error(settings_note)
        # pedals and controllers (pedals.py); off in tests that do not ask for it
        self.midi = pedals.MidiBridge(self).start() if midi else None

    def first_start_size(self) -> None:
        """Most of the screen (lanes want width), centred; remembered from then on."""
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            self.resize(1280, 720)
            return
        area = screen.availableGeometry()
        size = QSize(round(area.width() * FIRST_START_FRACTION),
                     round(area.height() * FIRST_START_FRACTION))
        self.resize(size)
        self.move(area.center() - QPoint(size.width() // 2, size.height() // 2))

    # --- building --------------------------------------------------------------
    def _welcome_page(self) -> QWidget:
        page = QWidget()
        hint = QLabel("<h2>Woodshed</h2><p>Open a song to separate (Ctrl+O), import a folder "
                      "of stems you already have (a multitrack, or a folder of song folders: "
                      "Ctrl+I), drop either on this window, or double-click a song you have "
                      "already separated:</p>")
        hint.setWordWrap(True)
        buttons = QHBoxLayout()
        for text, slot, name in (("Open a song…", self.open_dialog, "welcome_open"),
                                 ("Import a stem folder…", self.import_stems_dialog, "welcome_import"),
                                 ("Open the demo song", self.open_demo, "welcome_demo")):
            button = QPushButton(text)
            button.setObjectName(name)
            button.clicked.connect(lambda _=False, f=slot: f())
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.library = LibraryTable()
        self.library.song_chosen.connect(self.open_song)
        layout = QVBoxLayout(page)
        layout.addWidget(hint)
        layout.addLayout(buttons)
        layout.addWidget(self.library, 1)
        return page

    def _menus(self) -> None:
        """The menu bar from the action registry (actions.py); every action's keys work
        wherever the focus is in this window, menu or not."""
        bar = self.menuBar()
        menus = {name: bar.addMenu(f"&{name}") for name in actions.MENUS}
        menus["Audio"].addMenu(DevicesMenu(self))
        self.qactions: dict[str, QAction] = {}
        for action in actions.all_actions():
            if action.by_physical_key:
                continue  # bound by position on the keyboard (keyboard.KeyFilter)
            qaction = QAction(action.name, self)
            qaction.setObjectName(action.id)
            qt_keys = [k for k in action.keys if not keyboard.is_typed_character(k)]
            qaction.setShortcuts([QKeySequence(k) for k in qt_keys])
            if action.keys and not qt_keys:  # matched by keyboard.KeyFilter: shown, not bound
                qaction.setText(f"{action.name}\t{shortcuts.pretty(action.keys[0])}")
            qaction.triggered.connect(lambda _=False, a=action: self.trigger(a))
            self.addAction(qaction)  # its keys work wherever the focus is in this window
            self.qactions[action.id] = qaction
            menu = menus.get(action.menu)
            if menu is None:
                continue
            if action.separator_before:
                menu.addSeparator()
            menu.addAction(qaction)
            if action.id == "file.open":
                self.recent_menu = menu.addMenu("Open &recent")
        self.export_action = self.qactions["file.export"]
        self.key_filter = keyboard.KeyFilter(self, actions.all_actions(), self.trigger)
        keymap.apply_saved(self)  # the musician's own keys (Pedals, MIDI and keys…)
        self._fill_recent()

    # --- actions -------------------------------------------------------------------
    def trigger(self, action: actions.Action) -> None:
        """Run a registry action: on the open song, or on the window."""
        log.debug("action %s", action.id)
        self.action_triggered.emit(action.id)
        if not action.needs_song:
            action.run(self)
        elif self.song_view is not None:
            action.run(self.song_view)

    # --- opening -------------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a song", str(Path.home()), AUDIO_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path) -> None:
        """A SONG path of any kind (song_source.identify): opened, imported or separated."""
        def work(open_engine):
            source = identify(path)
            if source.kind is SongKind.FILE:
                return start_separation(source.path, self.device, self.with_engine,
                                        self.separation_settings, self.download_relay.on_download,
                                        open_engine)
            if source.kind is SongKind.CACHED:  # mended or resumable from its song file
                return open_cached_folder(source.path, self.device, self.with_engine,
                                          self.separation_settings,
                                          self.download_relay.on_download, open_engine)
            if source.kind is SongKind.STEMS:
                return load_cached(import_stems(source.path), self.device, self.with_engine,
                                   open_engine)
            songs, failures = import_song_folders(source)  # each imported; the first opens
            if not songs:
                raise UserError(failures[0])
            find_beats_meanwhile([song.dir for song in songs[1:]])  # the first's: its view
            loaded = load_cached(songs[0], self.device, self.with_engine, open_engine)
            if failures:
                loaded.warning = f"{len(failures)} of {len(source.folders)} songs did not import: {failures[0]}"
            return loaded
        self._load(work, recent=str(path))

    def import_stems_dialog(self) -> None:
        """A folder of stems (or of song folders, each imported): never File ▸ Open's file
        picker, which would offer a multitrack's backing track as a song to separate."""
        path = QFileDialog.getExistingDirectory(self, "Import a stem folder (or a folder of songs)",
                                                str(Path.home()))
        if path:
            self.open_path(path)

    def choose_model_folder(self) -> None:
        """File ▸ Use a folder of model weights: Preferences ▸ Separation, at its row."""
        self.show_preferences().show_row("Separation", "model_folder")

    def open_song(self, song) -> None:
        """A cached song (the Library): mended or resumable from its song file (reopen.py)."""
        self._load(lambda open_engine: open_cached_folder(
            song.dir, self.device, self.with_engine, self.separation_settings,
            self.download_relay.on_download, open_engine), recent=str(song.dir))

    def open_demo(self) -> None:
        def work(open_engine):
            from .demo_song import import_demo
            return load_cached(import_demo(), self.device, self.with_engine, open_engine)
        self._load(work)

    def _load(self, work, recent: str | None = None) -> None:
        """Open a song: work(open_engine) -> LoadedSong runs off the UI thread. One song at a
        time: a newer open supersedes this one (its result is let go, its engine never opens
        or is closed), and the audio slot opens one engine at a time, closing the one before."""
        self._open_serial += 1
        serial = self._open_serial

        def open_engine(song):
            return self.audio.open(song, self.device, self.buffer_frames,
                                   still_wanted=lambda: self._open_serial == serial)

        self.loading = True
        self.statusBar().showMessage("Opening…")
        self.tasks.run(lambda: work(open_engine), lambda loaded: self._show(loaded, recent, serial),
                       lambda exc: self._load_failed(exc, serial), "open")

    def _superseded(self, loaded: LoadedSong) -> None:
        """An open the musician replaced by a newer one: let go of all it holds."""
        self.audio.close_later(loaded.engine)
        loaded.song.release()
        if loaded.separation is not None:
            self.tasks.run(loaded.separation.cancel, name="cancel")

    def _load_failed(self, exc: BaseException, serial: int | None = None) -> None:
        if serial is not None and serial != self._open_serial:
            return  # a newer open is on its way: it speaks for itself
        self.loading = False
        self.download_relay.done()
        self.separation_bar.hide()
        self.statusBar().clearMessage()
        self.show_error(describe_error(exc))

    def _show(self, loaded: LoadedSong, recent: str | None, serial: int | None = None) -> None:
        if serial is not None and serial != self._open_serial:
            self._superseded(loaded)
            return
        self.loading = False
        self.download_relay.done()
        self.statusBar().showMessage(MOUSE_HINT)
        self.close_song()
        view = SongView(loaded.song, loaded.engine, loaded.session)
        self._wire(view)
        self.song_view = view
        self.stack.addWidget(view)
        self.stack.setCurrentWidget(view)
        view.take_keys()  # not the first box in the tab order: Space plays, − slows down
        self.setWindowTitle(f"{loaded.song.manifest.title} — {APP_NAME}")
        self.banner.hide()
        if loaded.engine_error and self.with_engine:
            self.show_error(loaded.engine_error, action="Retry audio")
        if loaded.warning:
            self.show_error(loaded.warning)
        if recent:
            self.add_recent(recent, loaded.song.manifest, loaded.song.key)
        self.on_song_shown(loaded)
        settle_memory()

    def on_song_shown(self, loaded: LoadedSong) -> None:
        if loaded.separation is not None:
            self._follow(loaded.separation)
        elif loaded.paused is not None:  # opened from the Library, separated part way
            self.paused_separation = loaded.paused
            self.separation_bar.show_paused(loaded.song.manifest.ready_fraction())

    def _follow(self, job) -> None:
        """Show a separation's progress, fill the lanes as stems arrive, steer it."""
        view = self.song_view
        monitor = SeparationMonitor(job, self.separation_bar, self)
        monitor.stems_arrived.connect(self._reload_peaks)
        monitor.finished.connect(self._separation_finished)
        view.position_moved.connect(monitor.prioritise)
        self.monitor = monitor

    def resume_separation(self) -> None:
        """Carry on a cancelled separation from where it stopped, the playhead's region first."""
        job, view = self.paused_separation, self.song_view
        if job is None or view is None or self.monitor is not None:
            return
        self.paused_separation = None
        self.separation_bar.resume.setEnabled(False)
        here = view.position_s
        self.separation_bar.label.setText("Resuming separation…")

        def started(again):
            if self.song_view is not view:  # another song opened meanwhile
                again.cancel()
                return
            self._follow(again)

        def failed(exc):
            self.paused_separation = job
            self.separation_bar.resume.setEnabled(True)
            self.show_error(f"could not resume the separation: {describe_error(exc)}")
        self.tasks.run(lambda: resume_separation(job, (here, here + 30.0)), started, failed,
                       "resume")

    def _reload_peaks(self) -> None:
        view = self.song_view
        if view is None:
            return
        from woodshed.separation.manifest import Manifest
        song_dir = view.song.dir

        def read():  # the manifest, and its lanes' levels of detail (numpy: off the UI thread)
            manifest = Manifest.load(song_dir)
            return manifest, {name: lane_peaks(manifest, name) for name in [*manifest.sources, "mix"]}
        self.tasks.run(read, lambda result: self._peaks_read(view, *result), None, "peaks")

    def _peaks_read(self, view, manifest, peaks: dict) -> None:
        if self.song_view is not view:
            return
        if list(manifest.sources) != view.stems:
            self._stems_joined(view, manifest, peaks)
        else:
            view.update_peaks(manifest, peaks)

    def _stems_joined(self, view, manifest, peaks: dict) -> None:
        """The song opened with its mix alone (the model still loading or downloading); now
        the model is known and its stems exist (silent until separated). The engine mixes
        them in as it plays, without a gap; the view that plays gets their strips and lanes
        (built a stem per turn of the event loop: stems_join.py), and keeps all it shows."""
        if self._joining is view:
            self._peaks_missed = True  # read again once the stems show
            return
        self._joining, self._peaks_missed = view, False
        engine = view.engine

        def join():
            view.song.manifest = manifest  # the engine's song too
            if engine is not None:
                engine.take_stems()

        def joined(_):
            if self.song_view is not view:
                self._joining = None
                return
            view.join_stems(manifest, peaks, lambda: self._stems_shown(view))

        def failed(exc):  # the mix was decoded again (an unusual model): open it afresh
            self._joining = None
            if self.song_view is view:
                self._replace_view(view, manifest)
                self._restart_audio(fresh=True)
        self.tasks.run(join, joined, failed, "stems")

    def _stems_shown(self, view) -> None:
        self._joining = None
        # What the stems built lives as long as the song: out of collection passes (a full
        # gc.collect here took 40-60 ms of the UI thread; freezing alone takes nothing).
        gc.freeze()
        if self._peaks_missed:  # separation went on while they were built: a turn later
            QTimer.singleShot(STEMS_SETTLE_MS, self._reload_peaks)

    def _replace_view(self, view, manifest) -> None:
        """A new view of the same song where the old one was: a song whose mix was decoded
        again for its model (its length may differ); the caller gives it a new engine."""
        had_keys = view.isAncestorOf(QApplication.focusWidget()) or QApplication.focusWidget() is view
        session = view.snapshot_session()
        engine, view.engine = view.engine, None
        new = SongView(view.song, None, session)  # no engine yet: it would seek it back
        new.engine = engine
        new.push_stems_to_engine()
        new.update_peaks(manifest)
        self._wire(new)
        if self.monitor is not None:
            new.position_moved.connect(self.monitor.prioritise)
        view.close_engine()  # (its timers; the engine is the new view's now)
        self.song_view = new
        self.stack.addWidget(new)
        self.stack.setCurrentWidget(new)
        self.stack.removeWidget(view)
        view.deleteLater()
        if had_keys:
            new.take_keys()
        settle_memory()  # as when a song opens: the new view lives as long as the song

    def _wire(self, view) -> None:
        view.error.connect(self.show_error)
        view.engine_failed.connect(lambda text: self.show_error(text, action="Retry audio"))
        view.session_changed.connect(self.save_timer.start)

    def _separation_finished(self, outcome: str) -> None:
        self.refresh_library()
        if outcome not in ("done", "cancelled"):
            self.show_error(f"Separation failed: {outcome}")

    def cancel_separation(self) -> threading.Thread | None:
        monitor, self.monitor = self.monitor, None
        if monitor is None:
            return None
        monitor.stop()
        self.separation_bar.cancel.setEnabled(False)
        self.separation_bar.label.setText("Cancelling… (what is separated stays in the cache)")
        job, view = monitor.job, self.song_view

        def cancel():
            job.cancel()
            return job_done(job)

        def cancelled(done: bool):
            if self.song_view is view and view is not None and not done:
                self.paused_separation = job
                self.separation_bar.show_paused(_fraction_done(view), monitor.download_unfinished())
            else:
                self.separation_bar.hide()
        return self.tasks.run(cancel, cancelled, None, "cancel")

    def close_song(self, wait: bool = False) -> None:
        cancelling = self.cancel_separation()
        if cancelling is not None and wait:
            cancelling.join(timeout=6.0)  # quitting: let the worker stop between segments
        self.paused_separation = None
        self.separation_bar.hide()
        view = self.song_view
        if view is None:
            return
        self.save_session_now()
        self.song_view = None
        engine, view.engine = view.engine, None
        view.close_engine()  # (stops its display timer)
        self.audio.close_later(engine)
        view.song.release()  # no longer in use here: it may be evicted again
        self.stack.removeWidget(view)
        view.deleteLater()

    # --- session memory ------------------------------------------------------------
    def save_session_soon(self) -> None:
        """Write the session in the background (the UI thread does no file I/O)."""
        view = self.song_view
        if view is None:
            return
        key, data = view.song.key, view.snapshot_session()
        frozen = type(data).from_json(data.to_json())  # a copy the UI can't change meanwhile
        self.tasks.run(lambda: save_session(key, frozen), None,
                       lambda exc: self.show_error(f"could not save the session: {describe_error(exc)}"),
                       "save-session")

    def save_session_now(self) -> None:
        view = self.song_view
        if view is not None:
            self.save_timer.stop()
            key, data = view.song.key, view.snapshot_session()
            thread = self.tasks.run(lambda: save_session(key, data), name="save-session")
            thread.join(timeout=2.0)  # closing: wait for the small write to land

    # --- recent songs and library ---------------------------------------------------
    def recent(self) -> list[str]:
        value = settings().value("recent", [])
        value = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        return [p for p in value if isinstance(p, str) and p]

    def recent_titles(self) -> dict[str, dict]:
        """path -> {"label": title — artist, "details": what tells it apart}, for Open recent.
        Entries of another shape (a hand-edited window.ini) are left out, not a crash."""
        try:
            value = json.loads(settings().value("recent_titles", "{}") or "{}")
        except (ValueError, TypeError):
            return {}
        if not isinstance(value, dict):
            return {}
        return {path: entry for path, entry in value.items() if _recent_entry_fits(entry)}

    def add_recent(self, path: str, manifest=None, key: str | None = None) -> None:
        """path first in Open recent. One entry a song: opened again from the Library (its
        cache folder), it keeps the path the musician opened it from."""
        titles = self.recent_titles()
        if key is not None:
            same = [p for p in self.recent()
                    if p != path and isinstance(titles.get(p), dict) and titles[p].get("key") == key]
            if same and Path(path).parent == cache.cache_root():
                path = same[0]
        else:
            same = []
        items = [path, *[p for p in self.recent() if p != path and p not in same]][:MAX_RECENT]
        titles = {p: t for p, t in titles.items() if p in items}
        if manifest is not None:
            where = ({"folder": Path(path).parent.name, "path": str(Path(path).parent)}
                     if Path(path).parent != cache.cache_root() else {})
            titles[path] = {"label": song_label(manifest), "key": key,
                            "details": {**where, **song_details(manifest, key or "")}}
        store = settings()
        store.setValue("recent", items)
        store.setValue("recent_titles", json.dumps(titles))
        self._fill_recent()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        paths, titles = self.recent(), self.recent_titles()
        known = [titles.get(p) if isinstance(titles.get(p), dict) else {} for p in paths]
        labels = told_apart([k.get("label") or Path(p).name or p for k, p in zip(known, paths)],
                            [k.get("details") or {"file": Path(p).name} for k, p in zip(known, paths)])
        for path, label in zip(paths, labels):
            action = self.recent_menu.addAction(label)
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        self.recent_menu.setEnabled(bool(paths))

    def refresh_library(self, then=None) -> None:
        def done(songs):
            self.library.set_songs(songs)
            if then:
                then(songs)
        self.tasks.run(cache.list_songs, done, lambda exc: self.show_error(describe_error(exc)),
                       "library")

    def show_library(self) -> None:
        def show(songs):
            dialog = LibraryDialog(songs, self)
            dialog.table.song_chosen.connect(self.open_song)
            dialog.open()
        self.refresh_library(show)

    # --- dialogs ---------------------------------------------------------------------
    def show_shortcuts(self) -> None:
        shortcuts.ShortcutsDialog(self).open()

    def show_log(self) -> None:
        """Say where the log of what went wrong is (for a bug report)."""
        from woodshed.player.log_file import log_path, setup_logging

        path = setup_logging() or log_path()
        self.show_error(f"Woodshed's error log (attach it to a bug report): {path}")

    def show_about(self) -> None:
        QMessageBox.about(self, "About Woodshed", "<b>Woodshed</b> — a practice player: separate a song "
                          "into stems, then loop, slow down and mute them live.<br>GPL-3.0-or-later.")

    def export_dialog(self) -> None:
        if self.song_view is None:
            self.show_error("Open a song first, then export a backing track from it.")
            return
        from .export_dialog import ExportDialog
        ExportDialog(self.song_view, self.tasks, self).open()

    # --- errors ------------------------------------------------------------------------
    def show_error(self, text: str, action: str | None = None) -> None:
        self.banner.show_message(text, action)

    def show_preferences(self) -> preferences.PreferencesDialog:
        dialog = preferences.PreferencesDialog(self, settings())
        dialog.open()
        return dialog

    def set_audio(self, device, blocksize_frames: int) -> None:
        """Preferences ▸ Audio: another device moves the song there; another buffer size
        reopens the output with it at once (settings and position kept; a song opened later
        opens with it)."""
        if blocksize_frames != self.buffer_frames:
            self.buffer_frames = blocksize_frames
            self.device = device
            if self.song_view is not None:
                self._restart_audio(fresh=True)
        elif device != self.device:
            self.switch_device(device)

    def switch_device(self, device) -> None:
        """Play through another output device from now on (the open song too)."""
        self.device = device
        if self.song_view is not None:
            self._restart_audio()

    def _banner_action(self, action: str) -> None:
        if action == "Retry audio" and self.song_view is not None:
            self._restart_audio()

    def _restart_audio(self, fresh: bool = False) -> None:
        """Move the song to self.device (off the UI thread): the engine keeps its settings and
        position; a song that had no engine (or ``fresh``: another buffer size) gets a new one
        with the session applied."""
        view = self.song_view
        if view is None:
            return
        self.banner.hide()
        was_playing = view.playing
        view.snapshot_session()  # remember the position while the engine is away
        engine, view.engine = view.engine, None  # the UI leaves it alone meanwhile

        def reopen():
            if engine is None or fresh:  # (the slot closes the old engine first)
                return self.audio.open(view.song, self.device, self.buffer_frames,
                                       still_wanted=lambda: self.song_view is view)
            try:
                self.audio.switch(engine, self.device)
            except Exception as exc:  # no sound there either: say so, keep the song open
                return engine, f"no sound: {describe_error(exc)}"
            return engine, None

        def attached(result):
            new_engine, error = result
            if self.song_view is not view:
                self.audio.close_later(new_engine)
                return
            view.engine = new_engine
            if error:
                self.show_error(error, action="Retry audio")
                return
            if engine is None or fresh:
                view.apply_session(view.session)
            if was_playing:
                view.play()
        self.tasks.run(reopen, attached, lambda exc: self.show_error(describe_error(exc)), "engine")

    # --- drag and drop -----------------------------------------------------------------
    def dragEnterEvent(self, ev):
        if ev.mimeData().hasUrls():
            ev.acceptProposedAction()

    def dropEvent(self, ev):
        urls = [u for u in ev.mimeData().urls() if u.isLocalFile()]
        if urls:
            ev.acceptProposedAction()
            self.open_path(urls[0].toLocalFile())

    # --- closing ------------------------------------------------------------------------
    def closeEvent(self, ev):
        settings().setValue("geometry", self.saveGeometry())
        if self.midi is not None:
            self.midi.stop()
        self.close_song(wait=True)
        self.audio.wait_idle(CLOSE_AUDIO_WAIT_S)  # PortAudio must not terminate under a close
        gc.unfreeze()  # let what the song held be freed (native libraries check at exit)
        super().closeEvent(ev)
