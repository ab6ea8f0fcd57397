"""The window's musical-time actions: loops in bars, the click, and fixing the grid.

They go into the window's one registry of actions (actions.py), so the menus, the F1 list and
MIDI learn all see them; their SongView side is BarsMixin below. Every one needs the song's
beat grid: without one they tell the musician so (tap tempo makes one)."""
from __future__ import annotations

import time

from woodshed.separation.beats import grid as grid_file
from woodshed.separation.beats.analyse import known_grid

from . import actions
from .actions import Action

TAP_RESET_S = 2.0          # a pause this long starts a new tap tempo


def _song(method: str, *args):
    return lambda view: getattr(view, method)(*args)


def _register() -> None:
    def add(action_id, name, method, args=(), keys=(), separator=False, listed_as=None):
        actions.register(Action(action_id, name, "Beats", _song(method, *args), tuple(keys),
                                menu="Beats", separator_before=separator, listed_as=listed_as))

    # Function keys and arrows: the same keys on every layout (brackets need AltGr on many,
    # digits need Shift on French ones).
    for n, key in ((1, "F5"), (2, "F6"), (4, "F7"), (8, "F8")):
        add(f"beats.loop_{n}_bars", f"Loop {n} bar{'s' if n > 1 else ''} from this bar", "loop_bars",
            (n,), (key,), listed_as=("F5 F6 F7 F8", "Loop 1, 2, 4, 8 bars from this bar"))
    # Families share one row of the F1 list (it must fit a laptop's screen).
    move = ("Ctrl+↑ ↓", "Move the loop a bar later / earlier")
    add("beats.loop_bar_later", "Move the loop a bar later", "move_loop_bars", (1,), ("Ctrl+Up",),
        separator=True, listed_as=move)
    add("beats.loop_bar_earlier", "Move the loop a bar earlier", "move_loop_bars", (-1,),
        ("Ctrl+Down",), listed_as=move)
    edges = ("Ctrl+Alt+← → (+Shift)", "Loop start (end) a beat earlier / later")
    add("beats.start_beat_earlier", "Loop start a beat earlier", "nudge_loop_beats", (-1, 0),
        ("Ctrl+Alt+Left",), listed_as=edges)
    add("beats.start_beat_later", "Loop start a beat later", "nudge_loop_beats", (1, 0),
        ("Ctrl+Alt+Right",), listed_as=edges)
    add("beats.end_beat_earlier", "Loop end a beat earlier", "nudge_loop_beats", (0, -1),
        ("Ctrl+Alt+Shift+Left",), listed_as=edges)
    add("beats.end_beat_later", "Loop end a beat later", "nudge_loop_beats", (0, 1), ("Ctrl+Alt+Shift+Right",),
        listed_as=edges)
    click_tap = ("K, T", "Click on / off, tap the tempo")
    add("beats.click", "Click on / off", "toggle_click", keys=("K",), separator=True,
        listed_as=click_tap)
    add("beats.tap", "Tap the tempo", "tap_tempo", keys=("T",), separator=True, listed_as=click_tap)
    add("beats.count_in", "Count-in: off, 1 bar, 2 bars", "cycle_count_in", separator=True)
    add("beats.double", "Grid: double the tempo", "fix_grid", ("tempo", "double"), separator=True)
    add("beats.halve", "Grid: halve the tempo", "fix_grid", ("tempo", "half"))
    add("beats.downbeat_here", "Grid: this beat is beat 1", "fix_grid", ("downbeat_here", None))
    for n in (3, 4, 6):
        add(f"beats.per_bar_{n}", f"Grid: {n} beats to the bar", "fix_grid", ("beats_per_bar", n))
    add("beats.earlier_10ms", "Grid: 10 ms earlier", "fix_grid", ("shift_ms", -10.0))
    add("beats.later_10ms", "Grid: 10 ms later", "fix_grid", ("shift_ms", 10.0))
    add("beats.reset", "Grid: undo my fixes", "fix_grid", ("reset", None))


if "Beats" not in actions.MENUS:
    actions.MENUS = (*actions.MENUS[:-1], "Beats", actions.MENUS[-1])   # before Help
_register()


class BarsMixin:
    """SongView's side of the actions above (self.grid, self.session, self.set_loop…)."""

    def _need_grid(self) -> bool:
        if self.grid is None:
            self.error.emit("this song has no beat grid yet: tap the tempo (T) while it plays")
            return False
        return True

    def loop_bars(self, bars: int) -> None:
        """A loop of `bars` bars from the start of the bar under the playhead."""
        if not self._need_grid():
            return
        first = self.grid.bar_at(self.position_s)
        self.set_loop(self.grid.bar_start_s(first), self.grid.bar_start_s(first + bars))

    def move_loop_bars(self, bars: int) -> None:
        if not self._need_grid() or self.session.loop is None:
            return
        start_s, end_s = self.session.loop
        per_bar = self.grid.beats_per_bar
        start = self.grid.time_of_beat(self.grid.beat_position(start_s) + bars * per_bar)
        end = self.grid.time_of_beat(self.grid.beat_position(end_s) + bars * per_bar)
        if start >= 0 and end <= self.duration_s + 1e-6:
            self.set_loop(start, end, enable=self.session.loop_enabled)

    def nudge_loop_beats(self, start_beats: int, end_beats: int) -> None:
        """Move the loop's start or end by whole beats (onto the grid's beats)."""
        if not self._need_grid() or self.session.loop is None:
            return
        start_s, end_s = self.session.loop
        start = self.grid.time_of_beat(round(self.grid.beat_position(start_s)) + start_beats)
        end = self.grid.time_of_beat(round(self.grid.beat_position(end_s)) + end_beats)
        self.set_loop(start, end, enable=self.session.loop_enabled)

    count_in_bars = 0

    def cycle_count_in(self) -> None:
        """Off -> 1 bar -> 2 bars -> off: clicks before the song each time play starts."""
        self.count_in_bars = (self.count_in_bars + 1) % 3
        self.show_tempo()

    def arm_count_in(self) -> None:
        """Called as play starts: the engine plays the count-in first (the click's sound, even
        with the click itself off; the click strip's volume, mute and pan apply)."""
        if not self.count_in_bars or self._song_click() is None:
            return
        self.engine.count_in(self.count_in_bars)

    click_on = False       # the click on the beats (K, the click strip's On)

    def _song_click(self):
        """The engine's click for the song's grid as it is now (made on first use, and again
        when the grid is fixed); None without a grid or without sound."""
        engine = self.engine
        if self.grid is None or engine is None:
            return None
        if getattr(engine, "click", None) is None or engine.click.grid is not self.grid:
            from woodshed.player.engine.click import Click

            click = Click(self.grid, self.song.manifest.sample_rate, self.song.manifest.channels)
            click.on_beats = self.click_on
            engine.set_click(click)
        return engine.click

    def set_click_on(self, on: bool) -> None:
        """The click on the song's beats on or off (a count-in clicks either way)."""
        if on and not self._need_grid():
            on = False
        self.click_on = bool(on)
        self.click_strip.show_click_on(self.click_on)
        click = self._song_click()
        if click is not None:
            click.on_beats = self.click_on

    def toggle_click(self) -> None:
        if self._need_grid():
            self.set_click_on(not self.click_on)

    def tap_tempo(self) -> None:
        """Each press a beat: from the fourth, the grid is the tapped tempo through this beat."""
        now = time.monotonic()
        taps = getattr(self, "_taps", [])
        if taps and now - taps[-1] > TAP_RESET_S:
            taps = []
        self._taps = (taps + [now])[-8:]
        if len(self._taps) >= 4:
            beat_s = (self._taps[-1] - self._taps[0]) / (len(self._taps) - 1)
            fixes = grid_file.load_fixes(self.song.dir)
            fixes.tapped_bpm, fixes.tap_anchor_s = round(60.0 / beat_s, 2), self.position_s
            self._save_fixes(fixes)

    def fix_grid(self, what: str, value) -> None:
        """One of the musician's grid fixes, kept apart from the analysis (beat-fixes.json)."""
        fixes = grid_file.load_fixes(self.song.dir)
        if what == "reset":
            fixes = grid_file.Fixes()
        elif not self._need_grid():
            return
        elif what == "tempo":      # a second press, or the other one, goes back to as found
            fixes.tempo = value if fixes.tempo is None else None
        elif what == "downbeat_here":
            index = min(max(int(round(self.grid.beat_position(self.position_s))), 0),
                        len(self.grid.beats_s) - 1)
            fixes.downbeat_s = float(self.grid.beats_s[index])
        elif what == "beats_per_bar":
            fixes.beats_per_bar = int(value)
        elif what == "shift_ms":
            fixes.shift_ms += float(value)
        self._save_fixes(fixes)

    def _save_fixes(self, fixes) -> None:
        try:
            grid_file.save_fixes(self.song.dir, fixes)
        except OSError as exc:
            self.error.emit(f"the grid fix could not be saved: {exc}")
            return
        state, _ = known_grid(self.song.dir)
        self._grid_known(state)
