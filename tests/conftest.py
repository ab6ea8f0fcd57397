import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))

import tiny_models  # noqa: E402

# Real audio devices without a sound card: JACK dummy server, ALSA file-plugin capture.
pytest_plugins = ["audio_devices"]


@pytest.fixture(scope="session")
def model_repo(tmp_path_factory) -> Path:
    """A local demucs repo with test6s (6 stems), test4s (4 stems) and testbag (bag of two)."""
    return tiny_models.build_repo(tmp_path_factory.mktemp("models"))


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    """A fresh, empty stem cache for this test (WOODSHED_CACHE_DIR)."""
    d = tmp_path / "cache"
    monkeypatch.setenv("WOODSHED_CACHE_DIR", str(d))
    monkeypatch.delenv("WOODSHED_CACHE_LIMIT", raising=False)
    return d
