"""Small randomly initialised demucs models, saved in demucs' local-repository format.

Tests and benchmarks load them through ``demucs.pretrained.get_model(name, repo=...)``,
the same code path a musician's pretrained weights take.
"""
from __future__ import annotations

from pathlib import Path

from woodshed.separation.tiny_model import FOUR_STEMS, SIX_STEMS, tiny_htdemucs  # noqa: F401
from woodshed.separation.tiny_model import save_model as _save


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
