"""The speed trainer: a loop that starts slow and speeds up as the musician gets it.

Melissa's rule: speed = start + floor(passes / every) x step, held at the target once
reached. The renderer applies it at the loop's wrap, on the input side of the stretcher,
where the loop itself wraps: the speed of a pass is the speed of all of that pass."""
from __future__ import annotations

import math
from dataclasses import dataclass

from woodshed.separation.errors import UserError


@dataclass(frozen=True)
class SpeedTrainer:
    start: float          # tempo ratios, as --tempo takes them (0.6 = 60 %)
    step: float
    every: int            # passes between steps
    target: float

    def __post_init__(self):
        from .controls import TEMPO_MAX, TEMPO_MIN

        for name, value in (("start", self.start), ("target", self.target)):
            if not TEMPO_MIN <= value <= TEMPO_MAX:
                raise UserError(f"trainer {name} speed {value:g} is out of range "
                                f"({TEMPO_MIN:g} to {TEMPO_MAX:g})")
        if self.every < 1:
            raise UserError("the trainer steps every N passes: N must be 1 or more")
        if self.step == 0 or (self.target - self.start) * self.step < 0:
            raise UserError(f"a trainer step of {self.step:+g} never gets from {self.start:g} "
                            f"to {self.target:g}")
        from .controls import stretcher_needed

        stretcher_needed()  # it changes the tempo: one line now if it cannot

    def speed(self, passes: int) -> float:
        """The speed of pass number ``passes`` (0 = the first)."""
        value = self.start + math.floor(passes / self.every) * self.step
        return min(value, self.target) if self.step > 0 else max(value, self.target)

    def done(self, passes: int) -> bool:
        return self.speed(passes) == self.target
