"""Everything about one open song: transport, mix overview, stem strips beside their lanes,
saved loops. Wires each control to the engine and keeps the session (what is remembered).
"""
from __future__ import annotations

import copy

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (QApplication, QGridLayout, QHBoxLayout, QLabel, QScrollArea, QSizePolicy,
                             QSplitter, QVBoxLayout, QWidget)

from woodshed.separation.errors import UserError

from .bars import BarsMixin
from .beat_grid import GridWatcher, tempo_text
from .colours import stem_colour
from .loop_bars import bars_of, follow_grid
from .loops_panel import LoopsPanel
from .session import Marker, SavedLoop, Session, marker_at
from .stem_strip import ClickStrip, Fader, StemStrip, db_text
from .trainer_panel import TrainerMixin, TrainerPanel
from .transport import Transport
from .waveform import Waveforms

UI_REFRESH_MS = 33  # playhead, time and meters at ~30 frames a second
MIN_LOOP_S = 0.1
DEFAULT_LOOP_S = 4.0
OPENING_VIEW_S = 30.0  # the lanes' width in time when a song opens (wider if the loop is)


class SongView(TrainerMixin, BarsMixin, QWidget):
    error = pyqtSignal(str)
    engine_failed = pyqtSignal(str)  # the device vanished mid-song: offer to retry
    session_changed = pyqtSignal()
    position_moved = pyqtSignal(float, float)  # separation follows: where the musician listens

    def __init__(self, song, engine, session: Session | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.song = song
        self.engine = engine  # None when no audio device could be opened
        self.session = session or Session()
        self.duration_s = song.manifest.duration_s
        self.stems = list(song.manifest.sources)

        self.transport = Transport()
        self.waveforms = Waveforms(song, self)
        self.loops = LoopsPanel(self.duration_s)
        self.trainer_panel = TrainerPanel()
        self.undo_stack: list[tuple[str, int, object]] = []  # deleted loops and markers
        self.strips: dict[str, StemStrip] = {}
        self.master = Fader()
        self.master.setToolTip("Master volume (double-click: 0 dB)")
        self.master.setObjectName("master")

        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        mix_box = QWidget()
        mix_box.setFixedWidth(250)
        mix_layout = QVBoxLayout(mix_box)
        mix_layout.setContentsMargins(6, 2, 4, 2)
        mix_label = QLabel("Mix · master")
        mix_label.setStyleSheet(f"color: {stem_colour('mix')}; font-weight: bold;")
        mix_layout.addWidget(mix_label)
        master_row = QHBoxLayout()
        master_row.setContentsMargins(0, 0, 0, 0)
        master_row.addWidget(self.master, 1)
        self.master_label = QLabel("0.0 dB")
        self.master_label.setObjectName("master_value")
        self.master_label.setFixedWidth(52)
        self.master_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        master_row.addWidget(self.master_label)
        mix_layout.addLayout(master_row)
        grid.addWidget(mix_box, 0, 0)
        grid.addWidget(self.waveforms.overview, 0, 1)
        self.lanes_grid = grid
        self.stems_note: QLabel | None = None
        for row, name in enumerate(self.stems, start=1):
            strip = StemStrip(name, stem_colour(name, row - 1), row)
            self.strips[name] = strip
            self._show_row(row, strip, self.waveforms.lanes[name])
        if not self.stems:  # opened while the model loads: the mix's lane, stems to come
            note = self.stems_note = QLabel("The original mix.\nIts stems appear here once "
                                            "the separation model has loaded.")
            note.setObjectName("stems_to_come")
            note.setWordWrap(True)
            note.setFixedWidth(250)
            self._show_row(1, note, next(iter(self.waveforms.lanes.values())))
        # The click's strip under the stems: the song's own beats, with volume, mute and pan.
        self.click_strip = ClickStrip()
        self.click_hint = QLabel("Click: on the song's beats, heard where the beats are at "
                                 "any speed (K on/off; count-in in the Beats menu)")
        self.click_hint.setStyleSheet("color: #8b949e;")
        self.click_hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # never widens the lanes
        self._place_click_row()
        grid.setColumnStretch(1, 1)
        lanes = self.lanes_box = QWidget()
        lanes.setLayout(grid)
        lanes.setMinimumHeight(48 + 70 * len(self.stems))
        scroll = QScrollArea()
        scroll.setWidget(lanes)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(scroll)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.loops, 1)
        side_layout.addWidget(self.trainer_panel)
        split.addWidget(side)
        split.setStretchFactor(0, 1)
        split.setSizes([1000, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.transport)
        layout.addWidget(split, 1)

        # Holds the focus when no control does: the window's keys (Space, arrows…) then work.
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self._engine_failure = None
        self.joining = None  # stems_join.StemsJoining, while a new song's stems join
        if not song.manifest.ready_ranges():
            for strip in self.strips.values():
                strip.set_alive(False)  # nothing separated yet: the original mix plays
        self.grid = None                     # the song's beat grid, once known
        self.grid_watcher = GridWatcher(song.dir, self)
        self.grid_watcher.changed.connect(self._grid_known)
        self._connect()
        self.apply_session(self.session)
        self._grid_known(self.grid_watcher.state)
        self.timer = QTimer(self)
        self.timer.setInterval(UI_REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    def _show_row(self, row: int, left: QWidget, lane: QWidget) -> None:
        """A stem's row of the lanes: its strip (or a note) on the left, its lane beside."""
        self.lanes_grid.addWidget(left, row, 0, Qt.AlignmentFlag.AlignTop)
        self.lanes_grid.addWidget(lane, row, 1)
        self.lanes_grid.setRowStretch(row, 1)

    def _place_click_row(self) -> None:
        """The click's strip and its hint in the row under the stems (or the mix's lane)."""
        row = max(len(self.stems), 1) + 1
        for widget in (self.click_strip, self.click_hint):
            self.lanes_grid.removeWidget(widget)  # (nothing the first time)
        self.lanes_grid.addWidget(self.click_strip, row, 0, Qt.AlignmentFlag.AlignTop)
        self.lanes_grid.addWidget(self.click_hint, row, 1)
        self.lanes_grid.setRowStretch(row, 0)

    # --- wiring --------------------------------------------------------------
    def _connect(self) -> None:
        t = self.transport
        t.play_toggled.connect(self.toggle_play)
        t.stop_clicked.connect(self.stop)
        t.skip.connect(self.skip)
        t.loop_toggled.connect(self.set_loop_enabled)
        t.tempo_changed.connect(self.set_tempo)
        t.pitch_changed.connect(self.set_pitch)
        t.typing_done.connect(self.take_keys)
        t.bad_input.connect(self.error)
        for strip in self.strips.values():
            self._connect_strip(strip)
        self.master.valueChanged.connect(lambda _: self._master(self.master.db))
        c = self.click_strip
        c.gain_changed.connect(lambda _name, db: self._click("click_db", "set_click_db", db))
        c.mute_changed.connect(lambda _name, on: self._click("click_muted", "set_click_mute", on))
        c.pan_changed.connect(lambda _name, pan: self._click("click_pan", "set_click_pan", pan))
        c.click_toggled.connect(self.set_click_on)
        self.waveforms.seek_requested.connect(self.seek)
        self.waveforms.loop_changed.connect(self.set_loop)
        self.loops.save_requested.connect(self.save_loop)
        self.loops.jump_requested.connect(self.jump_to_loop)
        self.loops.loops_edited.connect(self._loops_edited)
        self.loops.loop_typed.connect(self._loop_typed)
        self.loops.typing_done.connect(self.take_keys)
        self.loops.marker_add_requested.connect(self.add_marker_here)
        self.loops.marker_jump_requested.connect(lambda m: self.seek(m.time_s))
        self.loops.markers_edited.connect(self._markers_edited)
        self.loops.deleted.connect(lambda kind, row, what: self.undo_stack.append((kind, row, what)))
        self.trainer_panel.changed.connect(self._trainer_changed)

    def _connect_strip(self, strip: StemStrip) -> None:
        strip.gain_changed.connect(self._gain)
        strip.mute_changed.connect(self._mute)
        strip.solo_changed.connect(self._solo)
        strip.pan_changed.connect(self._pan)

    def _engine(self, method: str, *args):
        """Call the engine; a refused value becomes a message in the window, not a crash."""
        if self.engine is None:
            return None
        try:
            return getattr(self.engine, method)(*args)
        except UserError as exc:
            self.error.emit(exc.message)
        except Exception as exc:  # the audio side failed: say so, keep the window alive
            self.error.emit(f"audio engine: {type(exc).__name__}: {exc}")
        return None

    def _changed(self) -> None:
        self.session_changed.emit()

    # --- mixer ---------------------------------------------------------------
    def _gain(self, stem: str, db: float) -> None:
        self.session.gains_db[stem] = db
        self._engine("set_gain_db", stem, db)
        self._changed()

    def _mute(self, stem: str, on: bool) -> None:
        self.session.muted = [s for s in self.stems if self.strips[s].mute.isChecked()]
        self._engine("set_mute", stem, on)
        self._update_dimming()
        self._changed()

    def _solo(self, stem: str, on: bool) -> None:
        self.session.soloed = [s for s in self.stems if self.strips[s].solo.isChecked()]
        self._engine("set_solo", stem, on)
        self._update_dimming()
        self._changed()

    def _pan(self, stem: str, pan: float) -> None:
        self.session.pans[stem] = pan
        self._engine("set_pan", stem, pan)
        self._changed()

    def _master(self, db: float) -> None:
        self.master_label.setText(db_text(db))
        self.session.master_db = db
        self._engine("set_master_db", db)
        self._changed()

    def _click(self, setting: str, engine_method: str, value) -> None:
        """The click strip's volume, mute or pan: remembered with the song, heard live."""
        setattr(self.session, setting, value)
        self._engine(engine_method, value)
        self._changed()

    def _update_dimming(self) -> None:
        soloed = set(self.session.soloed)
        for name in self.stems:
            silent = name in self.session.muted or (bool(soloed) and name not in soloed)
            self.waveforms.set_dimmed(name, silent)

    def toggle_mute(self, index: int) -> None:
        if index < len(self.stems):
            self.strips[self.stems[index]].mute.toggle()

    def toggle_solo(self, index: int) -> None:
        if index < len(self.stems):
            self.strips[self.stems[index]].solo.toggle()

    # --- transport -----------------------------------------------------------
    @property
    def playing(self) -> bool:
        return bool(self.engine is not None and self.engine.playing)

    @property
    def position_s(self) -> float:
        return float(self.engine.position_s) if self.engine is not None else self.session.position_s

    def toggle_play(self) -> None:
        if not self.playing:
            self._play_from_the_loop()
            self.arm_count_in()
        self._engine("pause" if self.playing else "play")
        self.refresh()

    def _play_from_the_loop(self) -> None:
        """With a loop on, play starts at its start when the playhead is outside it (or at its
        end): the song never plays past an enabled loop."""
        loop = self.session.loop
        if loop is not None and self.session.loop_enabled:
            here = self.position_s
            if not loop[0] <= here < loop[1] - 0.01:
                self.seek(loop[0])

    def play(self) -> None:
        self._engine("play")

    def stop(self) -> None:
        self._engine("pause")
        loop = self.waveforms.loop_region_s()
        self.seek(loop[0] if loop and self.transport.loop.isChecked() else 0.0)

    def skip(self, seconds: float) -> None:
        self.seek(min(max(0.0, self.position_s + seconds), self.duration_s))

    def seek(self, position_s: float) -> None:
        position_s = min(max(0.0, position_s), self.duration_s)
        self._engine("seek", position_s)
        self.session.position_s = position_s
        self.waveforms.set_playhead(position_s, playing=False)
        self.position_moved.emit(position_s, position_s)

    def set_tempo(self, ratio: float) -> None:
        self.transport.set_tempo(ratio)
        self._engine("set_tempo", self.transport.tempo)
        if self.engine is not None and self.engine.tempo != self.transport.tempo:
            self.transport.set_tempo(self.engine.tempo)  # refused (no stretcher): show what plays
        self.session.tempo = self.transport.tempo
        self._changed()

    def set_pitch(self, semitones: float) -> None:
        self._engine("set_pitch", semitones)
        if self.engine is not None and self.engine.pitch_semitones != semitones:
            semitones = self.engine.pitch_semitones  # refused: show what plays
        self.session.pitch_semitones = semitones
        self.transport.set_pitch(semitones)
        self._changed()

    def nudge_tempo(self, percent: float) -> None:
        self.transport.nudge_tempo(percent)

    def reset_tempo_and_pitch(self) -> None:
        self.set_tempo(1.0)
        self.set_pitch(0.0)

    # --- loops ---------------------------------------------------------------
    def set_loop(self, start_s: float, end_s: float, enable: bool = True) -> None:
        start_s, end_s = max(0.0, start_s), min(self.duration_s, end_s)
        if end_s - start_s < MIN_LOOP_S:
            if self.session.loop is not None:   # an edge dragged (snapped) onto the other
                self.waveforms.show_loop(*self.session.loop)
            return
        self.waveforms.show_loop(start_s, end_s)
        self.loops.show_loop(start_s, end_s)
        self._engine("set_loop", start_s, end_s)
        self.session.loop = (start_s, end_s)
        if enable:
            self.set_loop_enabled(True)
        self.position_moved.emit(start_s, end_s)
        self._changed()

    def set_loop_enabled(self, on: bool) -> None:
        if on and self.session.loop is None:
            on = False  # nothing to loop yet
        self.transport.set_loop_checked(on)
        self.session.loop_enabled = on
        self._engine("set_loop_enabled", on)
        self._changed()

    def toggle_loop(self) -> None:
        self.set_loop_enabled(not self.transport.loop.isChecked())

    def set_loop_start_here(self) -> None:
        here = self.position_s
        end = self.session.loop[1] if self.session.loop else here + DEFAULT_LOOP_S
        self.set_loop(here, end if end - here >= MIN_LOOP_S else here + DEFAULT_LOOP_S)

    def set_loop_end_here(self) -> None:
        here = self.position_s
        start = self.session.loop[0] if self.session.loop else here - DEFAULT_LOOP_S
        self.set_loop(start if here - start >= MIN_LOOP_S else here - DEFAULT_LOOP_S, here)

    def _loop_typed(self, start_s: float, end_s: float) -> None:
        if end_s - start_s < MIN_LOOP_S:
            self.error.emit(f"The loop's end must come at least {MIN_LOOP_S * 1000:.0f} ms after "
                            "its start.")
            if self.session.loop:
                self.loops.show_loop(*self.session.loop)
            return
        self.set_loop(start_s, end_s)

    def nudge_loop(self, start_by_s: float = 0.0, end_by_s: float = 0.0) -> None:
        """Move the loop's start or end by a few milliseconds (the keys, the boxes' arrows)."""
        if self.session.loop is None:
            return
        start_s, end_s = self.session.loop
        self.set_loop(start_s + start_by_s, end_s + end_by_s, enable=self.session.loop_enabled)

    def save_loop(self, name: str | None = None) -> None:
        if self.session.loop is None:
            self.error.emit("Draw a loop first: drag across the waveform, or press [ and ].")
            return
        loop = SavedLoop(name or self.loops.next_name(), *self.session.loop,
                         bars=bars_of(self.grid, *self.session.loop))
        if self.loops.with_settings.isChecked():
            s = self.session
            loop.tempo, loop.pitch_semitones = s.tempo, s.pitch_semitones
            loop.mix = {"gains_db": dict(s.gains_db), "muted": list(s.muted),
                        "soloed": list(s.soloed), "pans": dict(s.pans)}
        self.loops.add(loop)

    def jump_to_loop(self, loop: SavedLoop) -> None:
        if loop.tempo is not None:
            self.set_tempo(loop.tempo)
        if loop.pitch_semitones is not None:
            self.set_pitch(loop.pitch_semitones)
        if loop.mix is not None:
            self.apply_mix(loop.mix)
        self.set_loop(loop.start_s, loop.end_s)
        self.seek(loop.start_s)
        x0, x1 = self.waveforms.view_range_s()
        if not (x0 <= loop.start_s and loop.end_s <= x1):
            pad = 0.1 * (loop.end_s - loop.start_s)
            self.waveforms.set_view(max(0.0, loop.start_s - pad), min(self.duration_s, loop.end_s + pad))

    def _saved_loops_follow_grid(self) -> None:
        """Loops saved in bars stay on whole bars of a corrected grid (loop_bars.py says why)."""
        if self.grid is None:
            return
        followed = [follow_grid(loop, self.grid, self.duration_s) for loop in self.loops.loops]
        if followed != self.loops.loops:
            row = self.loops.list.currentRow()
            self.loops.set_loops(followed)
            self.loops.list.setCurrentRow(row)
            self._loops_edited()

    # --- markers ---------------------------------------------------------------
    def add_marker_here(self, name: str | None = None) -> Marker:
        """A marker at the playhead, named "Marker N" until renamed (F2 or Rename: verse,
        chorus, solo…): no name box takes the keys while the song plays."""
        taken = {m.name for m in self.session.markers}
        n = len(self.session.markers) + 1
        while f"Marker {n}" in taken:
            n += 1
        marker = Marker(name or f"Marker {n}", round(self.position_s, 3))
        self._set_markers([*self.session.markers, marker])
        self.loops.marker_list.setCurrentRow(self.loops.markers.index(marker))
        return marker

    def _set_markers(self, markers: list[Marker]) -> None:
        self.loops.set_markers(markers)
        self._markers_edited()

    def _markers_edited(self) -> None:
        self.session.markers = list(self.loops.markers)
        self.waveforms.show_markers(self.session.markers)
        self._changed()

    def next_marker(self) -> None:
        later = [m for m in self.session.markers if m.time_s > self.position_s + 0.05]
        if later:
            self.seek(later[0].time_s)

    def previous_marker(self) -> None:
        """The marker before the playhead; just after one (half a second), the one before it,
        as a CD player's back button."""
        earlier = [m for m in self.session.markers if m.time_s < self.position_s - 0.5]
        self.seek(earlier[-1].time_s if earlier else 0.0)

    def loop_between_markers(self) -> None:
        """Loop the section the playhead is in: from its marker to the next (or the song's
        start or end)."""
        here = self.position_s
        start = marker_at(self.session.markers, here)
        later = [m for m in self.session.markers if m.time_s > here + 1e-6]
        self.set_loop(start.time_s if start else 0.0, later[0].time_s if later else self.duration_s)

    def undo(self) -> None:
        """Bring back the last deleted saved loop or marker."""
        if not self.undo_stack:
            self.error.emit("Nothing to undo.")
            return
        kind, row, what = self.undo_stack.pop()
        if kind == "loop":
            self.loops.insert(min(row, len(self.loops.loops)), what)
        else:
            self._set_markers([*self.session.markers, what])

    def zoom_to_loop(self) -> None:
        """The lanes show the loop and a little either side (nothing to show without one)."""
        if self.session.loop is None:
            return
        start_s, end_s = self.session.loop
        pad = 0.05 * (end_s - start_s)
        self.waveforms.set_view(max(0.0, start_s - pad), min(self.duration_s, end_s + pad))

    def zoom_out_full(self) -> None:
        self.waveforms.zoom_out_full()

    def take_keys(self) -> None:
        """The keyboard belongs to the transport again (after typing a tempo or a pitch)."""
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def _loops_edited(self) -> None:
        self.session.loops = list(self.loops.loops)
        self._changed()

    # --- session ---------------------------------------------------------------
    def apply_session(self, saved: Session) -> None:
        """Put the controls (and through them the engine) where the musician left them."""
        s = copy.deepcopy(saved)  # setting each control rewrites self.session as it goes
        self.apply_mix({"gains_db": s.gains_db, "pans": s.pans, "muted": s.muted,
                        "soloed": s.soloed})
        self.master.set_db(s.master_db)
        self.click_strip.fader.set_db(s.click_db)
        self.click_strip.mute.setChecked(s.click_muted)
        self.click_strip.pan.setValue(round(100 * s.click_pan))
        self.loops.set_markers(s.markers)
        self.session.markers = list(self.loops.markers)
        self.waveforms.show_markers(self.session.markers)
        self.set_tempo(s.tempo)
        self.set_pitch(s.pitch_semitones)
        self.loops.set_loops(s.loops)
        self.session.loops = list(s.loops)
        if s.loop:
            self.set_loop(*s.loop, enable=s.loop_enabled)
        self.trainer_panel.set_settings(s.trainer)
        self.session.trainer = dict(s.trainer)
        self.seek(s.position_s)
        self.push_to_engine()
        self.set_trainer_on(s.trainer_on)
        self.show_where_it_was(s)

    def show_where_it_was(self, s: Session) -> None:
        """The lanes show the playhead and the loop as they were left (not 0:00–0:30)."""
        first_s, last_s = s.position_s, s.position_s
        if s.loop:
            first_s, last_s = min(first_s, s.loop[0]), max(last_s, s.loop[1])
        span_s = last_s - first_s
        width_s = min(self.duration_s, max(1.2 * span_s, OPENING_VIEW_S))
        start_s = min(max(0.0, (first_s + last_s - width_s) / 2), self.duration_s - width_s)
        self.waveforms.show_span(start_s, start_s + width_s)

    def apply_mix(self, mix: dict) -> None:
        """Faders, pans, mutes and solos as given (a session, or a loop saved with its mix)."""
        mix = copy.deepcopy(mix)
        for name, strip in self.strips.items():
            _set_strip(strip, mix)

    def push_to_engine(self) -> None:
        """Tell the engine every setting (a fresh engine, or controls that did not change and
        so sent no signal)."""
        s = self.session
        self.push_stems_to_engine()
        self._engine("set_master_db", s.master_db)
        self._engine("set_click_db", s.click_db)
        self._engine("set_click_mute", s.click_muted)
        self._engine("set_click_pan", s.click_pan)
        self._engine("set_tempo", s.tempo)
        self._engine("set_pitch", s.pitch_semitones)
        if s.loop:
            self._engine("set_loop", *s.loop)
            self._engine("set_loop_enabled", s.loop_enabled)
        self._engine("seek", s.position_s)

    def push_stems_to_engine(self) -> None:
        """Each stem's volume, mute, solo and pan, as the strips show them."""
        s = self.session
        for name in self.stems:
            self._engine("set_gain_db", name, s.gains_db.get(name, 0.0))
            self._engine("set_mute", name, name in s.muted)
            self._engine("set_solo", name, name in s.soloed)
            self._engine("set_pan", name, s.pans.get(name, 0.0))

    def snapshot_session(self) -> Session:
        self.session.position_s = self.position_s
        return self.session

    def update_peaks(self, manifest, peaks: dict | None = None) -> None:
        """New stems arrived from separation: redraw their lanes, wake their strips. peaks:
        the lanes' levels of detail (waveform.lane_peaks) if computed already."""
        self.waveforms.update_peaks(manifest, peaks)
        self._wake_strips(manifest)

    def _wake_strips(self, manifest) -> None:
        alive = manifest.ready_fraction() > 0
        for strip in self.strips.values():
            strip.set_alive(alive)

    # --- stems joining the mix ---------------------------------------------------
    def join_stems(self, manifest, peaks: dict, done) -> None:
        """The song opened with its mix alone; its stems now play in the engine. Their strips
        and lanes are built a stem a turn (stems_join.py), then shown in this view, in place
        of the mix's lane; done() after."""
        from .stems_join import StemsJoining

        self.joining = StemsJoining(self, manifest, peaks, done)

    def adopt(self, *widgets: QWidget) -> None:
        """Joining stems' widgets become the lanes' children, hidden until show_stems (a
        lane's reparenting costs milliseconds: one turn each, not all in show_stems')."""
        for widget in widgets:
            widget.setParent(self.lanes_box)
            widget.hide()

    def show_stems(self, manifest, strips: dict, lanes: dict) -> None:
        """The joined stems' strips and lanes, built (not shown yet), in place of the mix's
        lane: the session's mix for them (a new song's: 0 dB, centre), told to the engine."""
        focus = QApplication.focusWidget()
        old_lanes = list(self.waveforms.lanes.values())
        had_keys = focus is not None and any(w is focus or w.isAncestorOf(focus)
                                             for w in [*old_lanes, self.stems_note] if w)
        for lane in self.waveforms.take_staged():
            self.lanes_grid.removeWidget(lane)
            lane.hide()
            lane.deleteLater()
        if self.stems_note is not None:
            self.lanes_grid.removeWidget(self.stems_note)
            self.stems_note.deleteLater()
            self.stems_note = None
        self.stems = list(strips)
        s = self.session
        mix = {"gains_db": s.gains_db, "pans": s.pans, "muted": s.muted, "soloed": s.soloed}
        for row, (name, strip) in enumerate(strips.items(), start=1):
            _set_strip(strip, mix)  # before its signals are connected: the session has it
            self._connect_strip(strip)
            self.strips[name] = strip
            self._show_row(row, strip, lanes[name])
            strip.show()
            lanes[name].show()
        self._place_click_row()
        self.lanes_box.setMinimumHeight(48 + 70 * len(self.stems))
        self.push_stems_to_engine()
        self._wake_strips(manifest)  # (greyed while nothing is separated: the mix plays)
        self.waveforms.show_unready(manifest)
        self._update_dimming()
        if had_keys:
            self.take_keys()  # the mix's lane had them: the transport's keys go on working

    # --- musical time ------------------------------------------------------------
    def _grid_known(self, state) -> None:
        self.grid = state.grid
        self._saved_loops_follow_grid()
        self.transport.tempo_box.song_bpm = self.grid.bpm if self.grid is not None else None
        self.waveforms.set_grid(self.grid)
        self.click_strip.set_alive(self.grid is not None)   # no grid, no click
        if self.click_on:
            self._song_click()             # a fixed grid: the click follows it from now
        self.show_tempo()
        self.transport.bpm.setToolTip(
            "The song's tempo · the speed · the tempo you hear" if self.grid is not None else
            "No beat grid: press T on each beat while the song plays (four taps or more) and "
            "Woodshed makes one at that tempo (Beats menu: fix it)")
        if self.grid is None:
            self.transport.bars.setText("")
            self.transport.bpm.setText(self._with_tap_key(state.message or ""))
        elif state.message:      # a grid with a problem (an old one kept): one line, above
            self.error.emit(state.message)

    @staticmethod
    def _with_tap_key(message: str) -> str:
        """'…; tap the tempo (T)': the key the musician has for it now (keys can be rebound)."""
        from . import actions

        keys = actions.get("beats.tap").keys
        return message.replace("tap the tempo", f"tap the tempo ({keys[0]})") if keys else message

    def show_tempo(self) -> None:
        if self.grid is not None:
            count_in = f" · count-in {self.count_in_bars}" if self.count_in_bars else ""
            self.transport.bpm.setText(tempo_text(self.grid.bpm, self.heard_speed()) + count_in)

    # --- display rate ----------------------------------------------------------
    def refresh(self) -> None:
        position_s, playing = self.position_s, self.playing
        self.waveforms.set_playhead(position_s, playing)
        self.transport.show_time(position_s, self.duration_s)
        if self.grid is not None:
            index = int(self.grid.beat_position(position_s) + 1e-6)
            bar, beat = self.grid.bar_and_beat(max(index, 0))
            self.transport.bars.setText(f"{bar}.{beat}")
            self.show_tempo()      # the speed may have come from a pedal or the session
        self.transport.show_playing(playing)
        self.show_trainer()
        if self.engine is not None:
            failure = self.engine.error
            if failure and failure != self._engine_failure:
                self.engine_failed.emit(failure)
            self._engine_failure = failure
            levels = self._engine("levels") or {}
            for name, level in levels.items():
                if name in self.strips:
                    self.strips[name].meter.set_level(float(level))

    def close_engine(self) -> None:
        self.timer.stop()
        if self.joining is not None:
            self.joining.stop()
        self.grid_watcher.stop()
        if self.engine is not None:
            engine, self.engine = self.engine, None
            try:
                engine.close()
            except Exception:
                pass


def _set_strip(strip: StemStrip, mix: dict) -> None:
    """A strip's fader, pan, mute and solo from a mix (a session's, or a saved loop's)."""
    name = strip.name
    strip.fader.set_db(mix.get("gains_db", {}).get(name, 0.0))
    strip.pan.setValue(round(100 * mix.get("pans", {}).get(name, 0.0)))
    strip.mute.setChecked(name in mix.get("muted", []))
    strip.solo.setChecked(name in mix.get("soloed", []))
