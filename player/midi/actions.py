"""What a pedal, a pad or a key can do, and doing it on the engine.

Each action has an id (saved in bindings files: never rename one), a name in the musician's
words, and a kind: "press" actions happen once per press (play/pause, speed +5 %);
"continuous" ones follow a CC's value 0-127 (an expression pedal on the speed or a volume).
``EngineActions`` carries them out on an engine's controls from whichever thread calls it
(the MIDI thread): the engine's setters only replace the controls' snapshot, so none of them
waits on the UI thread or the audio path. Actions that live in the window (saved loops) are
passed on to it instead (``engine_action`` returns False for them).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from woodshed.player.engine.controls import TEMPO_MAX, TEMPO_MIN
from woodshed.separation.errors import UserError

SPEED_STEP = 0.05
SPEED_PEDAL_RANGE = (0.5, 1.0)   # an expression pedal: heel = half speed, toe = as recorded
MAX_STEMS = 9                    # stems 1-9, like the number keys


@dataclass(frozen=True)
class Action:
    id: str
    name: str
    continuous: bool = False


def _build() -> list[Action]:
    # The ids are the window's (player/ui/actions.py registry): one action, one id, whether
    # a key, a menu or a pedal runs it.
    actions = [
        Action("play.toggle", "Play / pause"),
        Action("play.restart_loop", "Restart the loop (or the song) and play"),
        Action("loop.toggle", "Loop on / off"),
        Action("loop.start_here", "Loop start at the playhead"),
        Action("loop.end_here", "Loop end at the playhead"),
        Action("play.slower", "Tempo −5 %"),
        Action("play.faster", "Tempo +5 %"),
        Action("play.reset", "Tempo 100 %, pitch as recorded"),
        Action("loop.next_saved", "Next saved loop"),
        Action("loop.previous_saved", "Previous saved loop"),
    ]
    actions += [Action(f"mix.mute_{n}", f"Mute stem {n}") for n in range(1, MAX_STEMS + 1)]
    actions += [Action(f"mix.solo_{n}", f"Solo stem {n}") for n in range(1, MAX_STEMS + 1)]
    actions += [Action("midi.speed", "Speed (expression pedal)", continuous=True),
                Action("midi.master_volume", "Master volume (expression pedal)", continuous=True)]
    actions += [Action(f"midi.volume_{n}", f"Volume of stem {n} (expression pedal)",
                       continuous=True) for n in range(1, MAX_STEMS + 1)]
    return actions


ACTIONS: dict[str, Action] = {a.id: a for a in _build()}
WINDOW_ACTIONS = frozenset({"loop.next_saved", "loop.previous_saved"})  # saved loops: the window's
DEFAULT_LOOP_S = 4.0    # a loop edge set with no other edge yet: this long (as in the window)
MIN_LOOP_S = 0.1


def is_continuous(action_id: str) -> bool:
    action = ACTIONS.get(action_id)
    return action is not None and action.continuous


def name_of(action_id: str) -> str:
    action = ACTIONS.get(action_id)
    return action.name if action is not None else action_id


def cc_to_speed(value: int) -> float:
    low, high = SPEED_PEDAL_RANGE
    return round(low + (high - low) * value / 127, 2)


def cc_to_db(value: int) -> float:
    """0-127 -> dB, as a fader: toe down 0 dB, heel silent."""
    return -math.inf if value <= 0 else 20 * math.log10(value / 127)


class EngineActions:
    """Carries out actions on one engine, from any thread."""

    def __init__(self, engine):
        self.engine = engine

    def run(self, action_id: str, value: int | None = None) -> bool:
        """Do it; False if the engine has no part in it (a window action, stem N missing).
        A refused setting (no loop yet) raises UserError with one line."""
        e = self.engine
        if action_id not in ACTIONS or action_id in WINDOW_ACTIONS:
            return False
        if action_id == "play.toggle":
            e.pause() if e.playing else e.play()
        elif action_id == "play.restart_loop":
            loop = e.loop
            e.seek(loop[0] if loop is not None and loop[2] else 0.0)
            if not e.playing:
                e.play()
        elif action_id == "loop.toggle":
            if e.loop is None:
                raise UserError("no loop yet: set its start and end first")
            e.set_loop_enabled(not e.loop[2])
        elif action_id == "loop.start_here":
            self._loop_edge(start=True)
        elif action_id == "loop.end_here":
            self._loop_edge(start=False)
        elif action_id in ("play.slower", "play.faster"):
            step = SPEED_STEP if action_id == "play.faster" else -SPEED_STEP
            e.set_tempo(round(min(max(e.tempo + step, TEMPO_MIN), TEMPO_MAX), 2))
        elif action_id == "play.reset":
            e.set_tempo(1.0)
            e.set_pitch(0.0)
        elif action_id == "midi.speed":
            e.set_tempo(cc_to_speed(value or 0))
        elif action_id == "midi.master_volume":
            e.set_master_db(cc_to_db(value or 0))
        else:
            kind, _, number = action_id.rpartition("_")
            stem = self._stem(number)
            if stem is None:
                return False
            if kind == "mix.mute":
                e.set_mute(stem, not e.controls.muted(stem))
            elif kind == "mix.solo":
                e.set_solo(stem, not e.controls.soloed(stem))
            elif kind == "midi.volume":
                e.set_gain_db(stem, cc_to_db(value or 0))
            else:
                raise KeyError(action_id)
        return True

    def _stem(self, number: str) -> str | None:
        stems = self.engine.stems
        if not number.isdigit() or not 1 <= int(number) <= len(stems):
            return None
        return stems[int(number) - 1]

    def _loop_edge(self, start: bool) -> None:
        """One edge at the playhead; the other is the loop's own, or DEFAULT_LOOP_S away
        (what the window's [ and ] do)."""
        e = self.engine
        here_s = min(max(0.0, e.position_s), e.duration_s)
        loop = e.loop
        if start:
            end_s = loop[1] if loop and loop[1] - here_s >= MIN_LOOP_S else here_s + DEFAULT_LOOP_S
            start_s, end_s = here_s, min(end_s, e.duration_s)
        else:
            start_s = loop[0] if loop and here_s - loop[0] >= MIN_LOOP_S else here_s - DEFAULT_LOOP_S
            start_s, end_s = max(0.0, start_s), here_s
        if end_s - start_s < MIN_LOOP_S:
            raise UserError("too close to the song's edge for a loop")
        e.set_loop(start_s, end_s)
        e.set_loop_enabled(True)
