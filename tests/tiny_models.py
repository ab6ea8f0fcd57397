"""Small randomly initialised demucs models, saved in demucs' local-repository format.

Tests and benchmarks load them through ``demucs.pretrained.get_model(name, repo=...)``,
the same code path a musician's pretrained weights take.
"""
from __future__ import annotations

from pathlib import Path

SIX_STEMS = ["drums", "bass", "other", "vocals", "guitar", "piano"]
FOUR_STEMS = ["drums", "bass", "other", "vocals"]


def _save(model, path: Path) -> None:
    import torch
    from demucs.states import get_state

    args, kwargs = model._init_args_kwargs
    package = {"klass": model.__class__, "args": args, "kwargs": kwargs,
               "state": get_state(model, None, half=False)}
    torch.save(package, path)


def tiny_htdemucs(sources, seed: int, segment_s: float = 1.0, channels: int = 8):
    # No cross-domain transformer layers: attention would cost seconds per segment on CPU.

    import torch
    from demucs.htdemucs import HTDemucs

    torch.manual_seed(seed)
    return HTDemucs(sources=list(sources), channels=channels, depth=2, segment=segment_s,
                    t_layers=0, bottom_channels=0)


def build_repo(root: Path, segment_s: float = 1.0, channels: int = 8) -> Path:
    """Write test6s.th, test4s.th and a bag testbag.yaml (two 6-stem models) into root."""
    root.mkdir(parents=True, exist_ok=True)
    _save(tiny_htdemucs(SIX_STEMS, 1, segment_s, channels), root / "test6s.th")
    _save(tiny_htdemucs(FOUR_STEMS, 2, segment_s, channels), root / "test4s.th")
    _save(tiny_htdemucs(SIX_STEMS, 3, segment_s, channels), root / "testbagA.th")
    _save(tiny_htdemucs(SIX_STEMS, 4, segment_s, channels), root / "testbagB.th")
    (root / "testbag.yaml").write_text(
        "models: ['testbagA', 'testbagB']\n"
        "weights: [[1.0, 0.5, 1.0, 0.2, 1.0, 1.0], [0.5, 1.0, 1.0, 1.0, 0.3, 1.0]]\n"
        f"segment: {segment_s}\n")
    return root
