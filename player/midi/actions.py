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
    actions = [
        Action("play_pause", "Play / pause"),
        Action("restart_loop", "Restart loop (go to loop start and play)"),
        Action("loop_toggle", "Loop on / off"),
        Action("loop_start_here", "Loop start at the playhead"),
        Action("loop_end_here", "Loop end at the playhead"),
        Action("speed_down", "Speed −5 %"),
        Action("speed_up", "Speed +5 %"),
        Action("speed_reset", "Speed back to 100 %"),
        Action("next_loop", "Next saved loop"),
        Action("previous_loop", "Previous saved loop"),
    ]
    actions += [Action(f"mute_stem_{n}", f"Mute stem {n}") for n in range(1, MAX_STEMS + 1)]
    actions += [Action(f"solo_stem_{n}", f"Solo stem {n}") for n in range(1, MAX_STEMS + 1)]
    actions += [Action("speed", "Speed (expression pedal)", continuous=True),
                Action("master_volume", "Master volume (expression pedal)", continuous=True)]
    actions += [Action(f"volume_stem_{n}", f"Volume of stem {n} (expression pedal)",
                       continuous=True) for n in range(1, MAX_STEMS + 1)]
    return actions


ACTIONS: dict[str, Action] = {a.id: a for a in _build()}
WINDOW_ACTIONS = frozenset({"next_loop", "previous_loop"})  # saved loops live in the window


def cc_to_speed(value: int) -> float:
    low, high = SPEED_PEDAL_RANGE
    return round(low + (high - low) * value / 127, 2)


def cc_to_db(value: int) -> float:
    """0-127 -> dB, as a fader: toe down 0 dB, heel silent."""
    return -math.inf if value <= 0 else 20 * math.log10(value / 127)


class EngineActions:
    """Carries out actions on one engine. Any thread; state (loop A mark) is this object's."""

    def __init__(self, engine):
        self.engine = engine
        self.mark_a_s: float | None = None

    def run(self, action_id: str, value: int | None = None) -> bool:
        """Do it; False if the engine has no part in it (a window action, stem N missing).
        A refused setting (no loop yet) raises UserError with one line."""
        e = self.engine
        if action_id in WINDOW_ACTIONS:
            return False
        if action_id == "play_pause":
            e.pause() if e.playing else e.play()
        elif action_id == "restart_loop":
            loop = e.loop
            e.seek(loop[0] if loop is not None and loop[2] else 0.0)
            if not e.playing:
                e.play()
        elif action_id == "loop_toggle":
            if e.loop is None:
                raise UserError("no loop yet: set its start and end first")
            e.set_loop_enabled(not e.loop[2])
        elif action_id == "loop_start_here":
            self._loop_edge(start=True)
        elif action_id == "loop_end_here":
            self._loop_edge(start=False)
        elif action_id in ("speed_down", "speed_up"):
            step = SPEED_STEP if action_id == "speed_up" else -SPEED_STEP
            e.set_tempo(round(min(max(e.tempo + step, TEMPO_MIN), TEMPO_MAX), 2))
        elif action_id == "speed_reset":
            e.set_tempo(1.0)
        elif action_id == "speed":
            e.set_tempo(cc_to_speed(value or 0))
        elif action_id == "master_volume":
            e.set_master_db(cc_to_db(value or 0))
        else:
            kind, _, number = action_id.rpartition("_")
            stem = self._stem(number)
            if stem is None:
                return False
            if kind == "mute_stem":
                e.set_mute(stem, not e.controls.muted(stem))
            elif kind == "solo_stem":
                e.set_solo(stem, not e.controls.soloed(stem))
            elif kind == "volume_stem":
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
        """Set one edge at the playhead; the other is the current loop's, or the last mark."""
        e = self.engine
        here_s = e.position_s
        loop = e.loop
        if start:
            self.mark_a_s = here_s
            if loop is None or loop[1] - here_s < 0.1:
                return  # no end yet: the loop is made when its end is set
            e.set_loop(here_s, loop[1])
        else:
            start_s = self.mark_a_s if self.mark_a_s is not None else (loop[0] if loop else None)
            if start_s is None:
                raise UserError("set the loop start first")
            start_s, end_s = sorted((start_s, here_s))
            e.set_loop(start_s, end_s)
            self.mark_a_s = None
        e.set_loop_enabled(True)
