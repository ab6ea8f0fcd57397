"""A small randomly initialised demucs model, saved in demucs' local-repository format.

`woodshed selftest` loads one through demucs' real loader (``get_model(name, repo=...)``)
to prove a bundle can unpickle and run models offline; the tests build theirs with it too.
"""
from __future__ import annotations

from pathlib import Path

SIX_STEMS = ["drums", "bass", "other", "vocals", "guitar", "piano"]
FOUR_STEMS = ["drums", "bass", "other", "vocals"]


def tiny_htdemucs(sources, seed: int, segment_s: float = 1.0, channels: int = 8):
    # No cross-domain transformer layers: attention would cost seconds per segment on CPU.
    import torch
    from demucs.htdemucs import HTDemucs

    torch.manual_seed(seed)
    return HTDemucs(sources=list(sources), channels=channels, depth=2, segment=segment_s,
                    t_layers=0, bottom_channels=0)


def save_model(model, path: Path) -> None:
    """The package demucs' loader expects: class, init arguments and state."""
    import torch
    from demucs.states import get_state

    args, kwargs = model._init_args_kwargs
    package = {"klass": model.__class__, "args": args, "kwargs": kwargs,
               "state": get_state(model, None, half=False)}
    torch.save(package, path)
